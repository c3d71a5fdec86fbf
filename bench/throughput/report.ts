/** Markdown for the capture throughput benchmark: the ramp table and the per-probe costs. */
import type { ThroughputResult } from "./run.ts";
import type { Lifetime } from "./lifetime.ts";
import type { Untraced } from "./untraced.ts";
import type { SyscallCost } from "./untraced_costs.ts";

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
    `${r.meta.date} · Linux ${r.meta.kernel} · ${r.meta.cpus} CPUs · ${r.meta.seconds} s per step` +
    ` · load average before: ${r.meta.load}`,
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
    ...(r.untraced ? untracedMarkdown(r.untraced) : []),
    ...lifetimeMarkdown(r.lifetime),
    "The load generators are bench/throughput/event_load.c (open+close+unlink on tmpfs; " +
    "fork+exec; plain syscall loops) and tls_load.py (Python's ssl, system OpenSSL, to a sink " +
    "outside the capture). The ring buffers are the loader's defaults, 4 MiB (kernel events) " +
    "and 8 MiB (TLS) (--events-mb, --tls-mb).",
    "",
  ].join("\n");
}

/** The untraced per-call section: the A/B as the process sees it, and the programs' own time. */
export function untracedMarkdown(u: Untraced): string[] {
  // NaN (a median of nothing) and null (JSON's NaN or ∞, read back from capture.json) are "–"
  const ns = (x: number | null) =>
    x === null || Number.isNaN(x)
      ? "–"
      : (x < 0 ? "−" : "") + (Number.isFinite(x) ? Math.abs(x).toFixed(1) : "∞");
  const signed = (x: number | null) => (x !== null && x > 0 ? "+" : "") + ns(x);
  const pct = (x: number | null) => x === null ? "–" : `${signed((x - 1) * 100)}%`;
  // an unbounded end is ±∞ in memory and null in capture.json: its side says which
  const end = (x: number | null, side: "lo" | "hi") =>
    signed(x ?? (side === "lo" ? -Infinity : Infinity));
  const costCi = (c: SyscallCost) =>
    `**${signed(c.diff.median)}** [${end(c.diff.lo, "lo")}, ${end(c.diff.hi, "hi")}]`;
  return [
    "## What a process outside the capture pays per system call",
    "",
    "Thread CPU time per call of tight loops in a process the capture does not trace, in " +
    `${u.pairs} pairs of blocks without and with a capture of a sleeping process running ` +
    "(the order alternating pair to pair; a warm-up pair first; " +
    `${u.captures} captures started and stopped; a block runs, for each call in turning ` +
    `order, one process of ${u.reps ?? 1} loops of ${u.syscalls[0]?.callsPerBlock ?? 0} calls; ` +
    `${u.date}, load average ${u.load[0]} before, ${u.load[1]} after, ` +
    `${u.seconds.toFixed(0)} s). A block's figure is its fastest loop (a burst of the rest of ` +
    "the machine's load slows the loop it overlaps), or all its loops. Cost: the median of the " +
    "pairs' differences (with − without) and its 95% interval (sign test); ratio: geometric " +
    "mean of the pairs' ratios, 95% t interval. This is what the process pays in all: the " +
    "programs and the tracepoints' dispatch. The intervals take the pairs as independent, but " +
    "two pairs in a row share one capture (and the two without-blocks between them one idle " +
    "stretch), so anything particular to one capture moves neighbouring pairs together and " +
    "the intervals are somewhat narrower than they should be. " +
    `${unsettledNote(u)}`,
    "",
    "| system call | without ns | with capture ns | cost ns [95%] | dearer in | ratio [95%] | by order: without-with / with-without | all loops: cost ns [95%] |",
    "| --- | --: | --: | --: | --: | --: | --: | --: |",
    ...u.syscalls.map((c, i) => {
      const all = u.syscallsAll?.[i];
      return `| ${c.what} | ${ns(c.withoutNs)} | ${ns(c.withNs)} | ${costCi(c)} | ` +
        `${c.higher}/${c.pairs} | ${pct(c.ratio.ratio)} [${pct(c.ratio.lo)}, ${
          pct(c.ratio.hi)
        }] | ` +
        `${
          c.byOrder ? `${signed(c.byOrder.withoutFirst)} / ${signed(c.byOrder.withFirst)}` : "–"
        } | ` +
        `${all ? costCi(all) : "–"} |`;
    }),
    "",
    ...(u.floor && u.beyond
      ? [
        "Where it goes: the same pairs against a program that does nothing attached to the " +
        "same two tracepoints (`null_tp.c`): the tracepoints' dispatch, the floor under any " +
        "program there, and what the capture's programs cost beyond it (ns per call, median " +
        "of the pairs' differences [95%]); and, as a check of the method, the same pairs with " +
        "nothing attached in either arm (0 expected). That check shows drift only: nothing " +
        "starts or stops between its blocks, so it cannot show a bias that a capture's start " +
        "or stop leaves in the next block.",
        "",
        "| system call | in all: capture against nothing | floor: empty programs against nothing | beyond: capture against empty programs | check: nothing against nothing |",
        "| --- | --: | --: | --: | --: |",
        ...u.syscalls.map((c, i) =>
          `| ${c.what} | ${costCi(c)} | ${u.floor[i] ? costCi(u.floor[i]) : "–"} | ${
            u.beyond[i] ? costCi(u.beyond[i]) : "–"
          } | ${u.aa?.[i] ? costCi(u.aa[i]) : "–"} |`
        ),
        "",
      ]
      : []),
    "The capture's programs' own time per call of the same loops, from the kernel's " +
    "accounting (bpf_stats), on for these windows only: each loop's windows less idle windows " +
    "as long in alternating order, divided by the loop's calls. Others' runs: the share of the " +
    "runs in the loop's windows that the idle windows account for (bpftool, the benchmark, the " +
    "rest of the machine). The accounting reads the clock around each run, so its time per run " +
    "holds part of that read: an upper bound of the program's own time. What the accounting " +
    "adds in all, per call of the loop (the same pairs of blocks, the capture up, bpf_stats " +
    `off and on): ${
      (u.statsCost ?? []).map((c) => `${c.op} ${costCi(c)} ns`).join(", ") || "not measured"
    }.`,
    "",
    "| system call | calls | program | runs per call | ns per run | ns per call | others' runs |",
    "| --- | --: | --- | --: | --: | --: | --: |",
    ...u.programs.flatMap((p) => [
      ...p.programs.filter((g) => g.runsPerCall >= 0.001).map((g) =>
        `| ${p.what} | ${p.calls} | ${g.name} | ${g.runsPerCall.toFixed(3)} | ` +
        `${ns(g.nsPerRun)} | ${ns(g.nsPerCall)} | |`
      ),
      `| ${p.what} | ${p.calls} | **all** | | | **${ns(p.nsPerCall)}** | ` +
      `${(p.othersShare * 100).toFixed(1)}% |`,
    ]),
    "",
    ...rare(u),
  ];
}

/** How many times the machine did not settle after a start or stop (settle gave up). */
function unsettledNote(u: Untraced): string {
  if (u.unsettled === undefined) return "";
  return u.unsettled === 0
    ? "The machine settled after every start and stop."
    : `**The machine did not settle within 3 s after ${u.unsettled} starts or stops** ` +
      "(this process or the loader still busy): the blocks after them may carry their aftermath.";
}

/** The programs that ran under a thousandth of a time per call (the loop process's own start
 * and end: fork, exec, exit), in one line; they are in "all". */
function rare(u: Untraced): string[] {
  const names = [
    ...new Set(
      u.programs.flatMap((p) => p.programs.filter((g) => g.runsPerCall < 0.001)).map((g) => g.name),
    ),
  ].sort();
  return names.length
    ? [
      `Also ran, under once per thousand calls (the loop process's own start and end): ${
        names.join(", ")
      }.`,
      "",
    ]
    : [];
}

/** The `capture -- true` section: whole life from outside, and the phases inside. */
export function lifetimeMarkdown(l: Lifetime): string[] {
  const ms = (x: number) => x.toFixed(0);
  const parts = [...new Set(l.verifier.map((v) => v.part))];
  const sum = (part: string, f: "insns" | "us") =>
    l.verifier.filter((v) => v.part === part).reduce((s, v) => s + v[f], 0);
  return [
    "## `capture -- true` from outside",
    "",
    `${l.runs} runs one after another (${l.date}, load average before: ${l.load}), medians: ` +
    `the traced command is released **${ms(l.releaseMs.median)} ms** ` +
    `(${ms(l.releaseMs.min)}–${ms(l.releaseMs.max)} ms) after the loader started; the capture ` +
    `command exits after **${ms(l.commandMs)} ms**; every process of it is gone after ` +
    `**${ms(l.allGoneMs)} ms** (${l.allGoneRange.map(ms).join("–")} ms), ${
      ms(l.cpuMs)
    } ms of CPU in all. Phases (ms since the capture process ` +
    "started, the loader's on the same clock, and the CPU time that process had used by then; " +
    "SIGHTLINE_DEBUG=1 prints them):",
    "",
    "| process: phase | ms | CPU ms so far |",
    "| --- | --: | --: |",
    ...Object.entries(l.phases).sort((a, b) => a[1] - b[1]).map(([k, v]) =>
      `| ${k} | ${v.toFixed(1)} | ${l.phaseCpu?.[k]?.toFixed(1) ?? ""} |`
    ),
    "",
    ...(l.verifier.length
      ? [
        "What the kernel's verifier processed at load, by the loader's part (one more run with " +
        "SIGHTLINE_DEBUG=2; the kernel part is loaded before the command is released, the TLS " +
        "part meanwhile, at the lowest priority until the release; times vary with the load):",
        "",
        "| part | programs | instructions processed | verification ms |",
        "| --- | --: | --: | --: |",
        ...parts.map((p) =>
          `| ${p} | ${l.verifier.filter((v) => v.part === p).length} | ${sum(p, "insns")} | ${
            (sum(p, "us") / 1000).toFixed(1)
          } |`
        ),
        "",
        "| part | program | instructions processed | verification ms |",
        "| --- | --- | --: | --: |",
        ...l.verifier.map((v) =>
          `| ${v.part} | ${v.program} | ${v.insns} | ${(v.us / 1000).toFixed(1)} |`
        ),
        "",
      ]
      : []),
  ];
}

/** capture.md keeps what follows this line when bench:capture writes it again (session notes). */
export const KEPT_MARK = "<!-- bench:capture keeps what follows: notes of sessions, by hand -->";

/** The generated markdown, then the notes of the file it replaces (from KEPT_MARK on). */
export function withKeptNotes(md: string, previous: string | undefined): string {
  const i = previous?.indexOf(KEPT_MARK) ?? -1;
  return i < 0 ? md : `${md.trimEnd()}\n\n${previous!.slice(i)}`;
}
