/** Markdown for the capture throughput benchmark: the ramp table and the per-probe costs. */
import type { ThroughputResult } from "./run.ts";

const total = (d: Record<string, number>) => Object.values(d).reduce((s, n) => s + n, 0);

export function throughputMarkdown(r: ThroughputResult): string {
  const rate = (s: ThroughputResult["steps"][number]) =>
    s.load === "files"
      ? `${s.target ? `${s.target / 1000}k` : "max"} → ${(s.achieved / 1000).toFixed(0)}k events/s`
      : `${s.target ? s.target : "max"} → ${s.achieved.toFixed(0)} MB/s`;
  const recorded = (s: ThroughputResult["steps"][number]) =>
    s.load === "files"
      ? `${s.recorded} / ${s.generated} rows`
      : `${(s.recorded / 1e6).toFixed(0)} / ${(s.generated / 1e6).toFixed(0)} MB`;
  const perUnit = (s: ThroughputResult["steps"][number]) => {
    const units = s.load === "files" ? s.generated : s.generated / 1e6;
    const f = (ms: number | null) =>
      ms === null ? "–" : (ms * 1000 / units).toFixed(s.load === "files" ? 1 : 0);
    return `${f(s.denoCpuMs)} / ${f(s.loaderCpuMs)}`;
  };
  return [
    `# Capture throughput (${r.meta.quick ? "quick" : "full"} mode)`,
    "",
    `${r.meta.date} · Linux ${r.meta.kernel} · ${r.meta.cpus} CPUs · ${r.meta.seconds} s per step`,
    "",
    `**Highest rate with nothing lost and the capture keeping up (drained within 1 s): ` +
    `${(r.best.eventsPerSec / 1000).toFixed(0)}k kernel events/s, ${
      r.best.tlsMBps.toFixed(0)
    } MB/s of TLS plaintext.**`,
    "",
    "| load | target → reached | recorded / generated | drops | missed runs | drain ms | deno CPU s | loader CPU s | CPU µs per event or per MB (deno / loader) | loader peak RSS MiB |",
    "| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |",
    ...r.steps.map((s) =>
      `| ${s.load === "files" ? "open+unlink" : "SSL_write 256 KiB"} | ${rate(s)} | ${
        recorded(s)
      } | ` +
      `${total(s.drops)} | ${s.missedRuns} | ${s.drainMs} | ${(s.denoCpuMs / 1000).toFixed(2)} | ` +
      `${s.loaderCpuMs === null ? "–" : (s.loaderCpuMs / 1000).toFixed(2)} | ${perUnit(s)} | ` +
      `${s.loaderPeakRssKb === null ? "–" : (s.loaderPeakRssKb / 1024).toFixed(0)} |`
    ),
    "",
    "## What one probe costs (tight loop with capture minus without)",
    "",
    "| operation | without ns/op | with capture ns/op | cost ns/op | ops |",
    "| --- | --: | --: | --: | --: |",
    ...r.probes.map((p) =>
      `| ${p.what} | ${p.withoutNs.toFixed(0)} | ${p.withNs.toFixed(0)} | ${
        p.costNs.toFixed(0)
      } | ${p.ops} |`
    ),
    "",
    "### The capture's eBPF programs during those loops (kernel bpf_stats: time inside each program)",
    "",
    "| loop | program | runs | avg ns per run | total ms |",
    "| --- | --- | --: | --: | --: |",
    ...r.probes.flatMap((p) =>
      (p.programs ?? []).map((g) =>
        `| ${p.what} | ${g.name} | ${g.runs} | ${g.avgNs.toFixed(0)} | ${g.totalMs.toFixed(1)} |`
      )
    ),
    "",
    "The load generators are bench/throughput/event_load.c (open+close+unlink on tmpfs; " +
    "fork+exec) and tls_load.py (Python's ssl, system OpenSSL, to a sink outside the capture). " +
    "The ring buffers are 32 MiB (kernel events) and 64 MiB (TLS), fixed in bpf/sightline.bpf.c.",
    "",
  ].join("\n");
}
