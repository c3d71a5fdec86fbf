/**
 * The capture throughput benchmark: sustained kernel events/s and TLS plaintext MB/s through
 * the whole pipeline (kernel → ring buffer → loader → socket → Deno decode → Arrow files).
 * A load generator runs under an in-process capture at a set rate for a few seconds; the rate
 * ramps up until the capture drops records (the manifest counts drops per kind), the
 * generator cannot reach it, or the capture falls behind. Also measures what single probes
 * cost: a traced open+unlink, an untraced one while a capture runs, a fork+exec+exit, and an
 * SSL_write call, each as the difference of a tight loop with and without capture; what a
 * process outside the capture pays per plain system call (getpid, openat, read) while one
 * runs (untraced.ts); and how long `capture -- true` lives as a whole.
 */
import { cpuUsage } from "node:process";
import { fileURLToPath } from "node:url";
import { h2RedactorFactory } from "../../capture/h2_glue.ts";
import { locateForCapture } from "../../capture/locator_glue.ts";
import { run as capture } from "../../capture/recorder.ts";
import { ensureCertificates } from "../../lab/simulator/mod.ts";
import { buildCTool } from "../c_tool.ts";
import { childNamed, type ProcStats, procStats } from "../overhead/proc_sampler.ts";
import { type ProgramCost, withProgramCosts } from "./bpf_stats.ts";
import { captureLifetime, type Lifetime } from "./lifetime.ts";
import { type Untraced, untracedSyscalls } from "./untraced.ts";

export const EVENT_LOAD = fileURLToPath(new URL("./event_load.c", import.meta.url));
const TLS_LOAD = fileURLToPath(new URL("./tls_load.py", import.meta.url));
const PYTHON = "/usr/bin/python3";

export interface ThroughputOptions {
  quick: boolean;
  /** seconds per ramp step (default 5, quick 2) */
  seconds?: number;
  tmpDir?: string;
  log?: (line: string) => void;
}

export interface Step {
  load: "files" | "tls";
  /** target rate: events/s for files, MB/s for tls (0 = as fast as the generator goes) */
  target: number;
  /** what the generator reached, same unit */
  achieved: number;
  seconds: number;
  /** events generated (files) or payload bytes sent (tls) */
  generated: number;
  /** file rows recorded (files) or TLS bytes kept (tls) */
  recorded: number;
  drops: Record<string, number>;
  missedRuns: number;
  /** CPU of the capture's Deno process (decode, rows, Arrow) and of the loader, ms */
  denoCpuMs: number;
  loaderCpuMs: number | null;
  loaderPeakRssKb: number | null;
  /** from the generator's end until the capture had written everything */
  drainMs: number;
  /** no drops, no missed runs, everything recorded */
  complete: boolean;
}

export interface ProbeCost {
  what: string;
  /** per operation, ns */
  withoutNs: number;
  withNs: number;
  costNs: number;
  ops: number;
  /** the capture's eBPF programs that ran, costliest first (kernel bpf_stats) */
  programs?: ProgramCost[];
}

export interface ThroughputResult {
  meta: {
    date: string;
    kernel: string;
    cpus: number;
    seconds: number;
    quick: boolean;
    /** load average before the benchmark */
    load: string;
  };
  steps: Step[];
  /** highest rate reached with nothing lost (and the capture keeping up within a second) */
  best: { eventsPerSec: number; tlsMBps: number };
  probes: ProbeCost[];
  /** what a process outside the capture pays per system call (untraced.ts) */
  untraced: Untraced;
  lifetime: Lifetime;
}

interface LoadOut {
  elapsed_ns: number;
  end_ms: number;
  events?: number;
  bytes?: number;
  calls?: number;
}

interface Captured {
  load: LoadOut;
  rows: Record<string, number>;
  tlsBytes: number;
  drops: Record<string, number>;
  missedRuns: number;
  denoCpuMs: number;
  loader?: ProcStats;
  drainMs: number;
}

/** Runs `cmd` under an in-process capture; its stdout (one JSON line) goes to a file. */
async function runCaptured(cmd: string[], tmp: string): Promise<Captured> {
  const recDir = `${tmp}/rec`;
  const outFile = `${tmp}/load.json`;
  await Deno.remove(recDir, { recursive: true }).catch(() => {});
  const cpu0 = cpuUsage();
  let loaderPid: number | undefined;
  let loader: ProcStats | undefined;
  const timer = setInterval(() => {
    loaderPid ??= childNamed(Deno.pid, "sightline-loade");
    if (loaderPid) loader = procStats(loaderPid) ?? loader;
  }, 100);
  let res;
  try {
    res = await capture({
      cmd: ["/bin/sh", "-c", `"$@" > ${outFile}`, "sh", ...cmd],
      out: recDir,
      quiet: true,
      locator: locateForCapture,
      h2Redactor: h2RedactorFactory,
    });
  } finally {
    clearInterval(timer);
  }
  const cpu = cpuUsage(cpu0);
  await res.loaderExit;
  if (res.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited with ${res.exitCode}`);
  const load = JSON.parse(await Deno.readTextFile(outFile)) as LoadOut;
  const m = res.manifest;
  await Deno.remove(recDir, { recursive: true }).catch(() => {});
  return {
    load,
    rows: Object.fromEntries(Object.entries(m.tables).map(([k, v]) => [k, v.rows])),
    tlsBytes: m.tls_bytes,
    drops: m.drops,
    missedRuns: m.missed_runs,
    denoCpuMs: (cpu.user + cpu.system) / 1000,
    loader,
    drainMs: Math.max(0, Number(BigInt(m.ended_ns!) / 1_000_000n) - load.end_ms),
  };
}

async function runPlain(cmd: string[]): Promise<LoadOut> {
  const r = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "piped" }).output();
  if (!r.success) throw new Error(`${cmd.join(" ")} failed`);
  return JSON.parse(new TextDecoder().decode(r.stdout));
}

/** The TLS sink: a Python server outside the capture. */
async function startTlsServer(): Promise<{ port: number; ca: string; stop(): Promise<void> }> {
  const certs = await ensureCertificates();
  const p = new Deno.Command(PYTHON, {
    args: [TLS_LOAD, "server", certs.leaf.certPath, certs.leaf.keyPath],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = p.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the TLS sink did not start");
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return {
    port: Number(text.trim()),
    ca: certs.caCertPath,
    async stop() {
      await p.stdin.close();
      await p.stdout.cancel();
      await p.status;
    },
  };
}

const total = (d: Record<string, number>) => Object.values(d).reduce((s, n) => s + n, 0);

function step(
  load: Step["load"],
  target: number,
  c: Captured,
  generated: number,
  recorded: number,
): Step {
  const secs = c.load.elapsed_ns / 1e9;
  return {
    load,
    target,
    achieved: load === "files" ? generated / secs : generated / secs / 1e6,
    seconds: secs,
    generated,
    recorded,
    drops: c.drops,
    missedRuns: c.missedRuns,
    denoCpuMs: c.denoCpuMs,
    loaderCpuMs: c.loader?.cpuMs ?? null,
    loaderPeakRssKb: c.loader?.peakRssKb ?? null,
    drainMs: c.drainMs,
    complete: total(c.drops) === 0 && c.missedRuns === 0 && recorded >= generated,
  };
}

export async function run(opts: ThroughputOptions): Promise<ThroughputResult> {
  const log = opts.log ?? ((l: string) => console.error(l));
  if (Deno.uid() !== 0) throw new Error("the capture benchmark needs root (eBPF)");
  const seconds = opts.seconds ?? (opts.quick ? 2 : 5);
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  const tmp = opts.tmpDir ?? "/tmp/sightline-bench/throughput";
  // tmpfs, so the generator measures the probes, not the disk
  const loadDir = await Deno.makeTempDir({ dir: "/dev/shm", prefix: "sl-load-" });
  await Deno.mkdir(tmp, { recursive: true });
  const gen = await buildCTool(EVENT_LOAD);
  const steps: Step[] = [];
  const best = { eventsPerSec: 0, tlsMBps: 0 };
  const keptUp = (s: Step) => s.complete && s.drainMs < 1000;
  try {
    // ---- kernel events: open+unlink pairs
    const rates = opts.quick ? [50_000, 0] : [25_000, 50_000, 100_000, 150_000, 200_000, 0];
    for (const rate of rates) {
      const events = Math.round((rate || 200_000) * seconds);
      const iters = Math.ceil(events / 2);
      const c = await runCaptured([gen, "files", loadDir, String(iters), String(rate / 2)], tmp);
      const s = step("files", rate, c, c.load.events!, c.rows.file ?? 0);
      steps.push(s);
      log(
        `files ${rate ? `${rate / 1000}k/s` : "max"}: ${
          (s.achieved / 1000).toFixed(0)
        }k events/s, ` +
          `${s.recorded}/${s.generated} rows, drops ${total(s.drops)}, drain ${s.drainMs} ms, ` +
          `deno ${(s.denoCpuMs / 1000).toFixed(2)} s, loader ${
            ((s.loaderCpuMs ?? NaN) / 1000).toFixed(2)
          } s CPU`,
      );
      if (keptUp(s)) best.eventsPerSec = Math.max(best.eventsPerSec, s.achieved);
      if (!s.complete) break;
    }
    // ---- TLS payload: 256 KiB SSL_write calls
    const server = await startTlsServer();
    try {
      const mbps = opts.quick ? [50, 0] : [25, 50, 100, 200, 400, 0];
      const chunk = 256 * 1024;
      for (const rate of mbps) {
        const bytes = Math.min(Math.round((rate || 400) * 1e6 * seconds), 2e9);
        const c = await runCaptured([
          PYTHON,
          TLS_LOAD,
          "client",
          String(server.port),
          server.ca,
          String(bytes),
          String(chunk),
          String(rate * 1e6),
        ], tmp);
        const s = step("tls", rate, c, c.load.bytes!, c.tlsBytes);
        steps.push(s);
        log(
          `tls ${rate ? `${rate} MB/s` : "max"}: ${s.achieved.toFixed(0)} MB/s, ` +
            `${(s.recorded / 1e6).toFixed(0)}/${(s.generated / 1e6).toFixed(0)} MB kept, drops ${
              total(s.drops)
            }, ` +
            `drain ${s.drainMs} ms, deno ${(s.denoCpuMs / 1000).toFixed(2)} s, loader ` +
            `${((s.loaderCpuMs ?? NaN) / 1000).toFixed(2)} s CPU`,
        );
        if (keptUp(s)) best.tlsMBps = Math.max(best.tlsMBps, s.achieved);
        if (!s.complete) break;
      }
    } finally {
      await server.stop();
    }
    const probes = await probeCosts(gen, loadDir, tmp, opts.quick, log);
    const untraced = await untracedSyscalls(gen, untracedOptions(opts.quick, tmp, log));
    const lifetime = await captureLifetime(tmp, opts.quick ? 3 : 9, log);
    return {
      meta: {
        date: new Date().toISOString(),
        kernel: Deno.osRelease(),
        cpus: navigator.hardwareConcurrency,
        seconds,
        quick: opts.quick,
        load,
      },
      steps,
      best,
      probes,
      untraced,
      lifetime,
    };
  } finally {
    await Deno.remove(loadDir, { recursive: true }).catch(() => {});
  }
}

/** Per-operation cost of the probes: a tight loop with capture minus the same without. */
async function probeCosts(
  gen: string,
  loadDir: string,
  tmp: string,
  quick: boolean,
  log: (l: string) => void,
): Promise<ProbeCost[]> {
  const out: ProbeCost[] = [];
  const n = quick ? 20_000 : 100_000;
  const add = (
    what: string,
    ops: number,
    without: LoadOut,
    withC: LoadOut,
    programs?: ProgramCost[],
  ) => {
    const p: ProbeCost = {
      what,
      ops,
      programs: programs?.slice(0, 6),
      withoutNs: without.elapsed_ns / ops,
      withNs: withC.elapsed_ns / ops,
      costNs: (withC.elapsed_ns - without.elapsed_ns) / ops,
    };
    out.push(p);
    const top = (programs ?? []).slice(0, 3).map((x) => `${x.name} ${x.avgNs.toFixed(0)} ns`);
    log(
      `probe cost, ${what}: ${p.withoutNs.toFixed(0)} → ${p.withNs.toFixed(0)} ns/op (+${
        p.costNs.toFixed(0)
      })${top.length ? `; ${top.join(", ")}` : ""}`,
    );
  };
  /** the load under capture, with the kernel's per-program accounting on */
  const profiled = async (cmd: string[]) => {
    const { result, programs } = await withProgramCosts(() => runCaptured(cmd, tmp));
    return [result.load, programs] as const;
  };
  const files = [gen, "files", loadDir, String(n), "0"];
  const plainFiles = await runPlain(files);
  add(
    "open+close+unlink, traced (2 file events)",
    n,
    plainFiles,
    ...await profiled(files),
  );
  const e = quick ? 300 : 2000;
  const exec = [gen, "exec", String(e), "0"];
  const plainExec = await runPlain(exec);
  add(
    "fork+exec+exit of /bin/true (3 process events)",
    e,
    plainExec,
    ...await profiled(exec),
  );
  // untraced processes while a capture runs: the probes fire, the filter says no
  const bystander = capture({
    cmd: ["sleep", quick ? "6" : "12"],
    out: `${tmp}/idle-rec`,
    force: true,
    quiet: true,
    locator: locateForCapture,
    h2Redactor: h2RedactorFactory,
  });
  await new Promise((r) => setTimeout(r, 1500));
  const during = await runPlain(files);
  const duringExec = await runPlain(exec);
  const idle = await bystander;
  await idle.loaderExit;
  add("open+close+unlink, untraced process during a capture", n, plainFiles, during);
  add("fork+exec+exit, untraced process during a capture", e, plainExec, duringExec);
  await Deno.remove(`${tmp}/idle-rec`, { recursive: true }).catch(() => {});
  const server = await startTlsServer();
  try {
    const calls = quick ? 20_000 : 100_000;
    const small = [
      PYTHON,
      TLS_LOAD,
      "client",
      String(server.port),
      server.ca,
      String(calls * 100),
      "100",
      "0",
    ];
    add(
      "SSL_write of 100 bytes (Python ssl, uprobe + uretprobe)",
      calls,
      await runPlain(small),
      ...await profiled(small),
    );
    const big = [
      PYTHON,
      TLS_LOAD,
      "client",
      String(server.port),
      server.ca,
      String(2000 * 65536),
      "65536",
      "0",
    ];
    add(
      "SSL_write of 64 KiB (copy into the ring buffer)",
      2000,
      await runPlain(big),
      ...await profiled(big),
    );
  } finally {
    await server.stop();
  }
  return out;
}

/** The untraced per-call measurement's sizes: quick (CI) or full; `pairs` overrides. */
export function untracedOptions(
  quick: boolean,
  tmp: string,
  log: (l: string) => void,
  pairs?: number,
) {
  return {
    pairs: pairs ?? (quick ? 8 : 60),
    calls: 1000,
    reps: quick ? 10 : 20,
    windows: quick ? 2 : 6,
    windowCalls: quick ? 50_000 : 200_000,
    tmp,
    log,
  };
}
