/**
 * The capture's CPU per session, a capture of its own against sessions of a resident capture
 * (`capture --serve` / `--via`), on the overhead benchmark's Claude Code quick understand
 * workload with zero model latency (the stress cell):
 *
 *   sudo deno run -A bench/overhead/resident_cpu.ts [--pairs N] [--arms A,B,...]
 *     [--base DIR] [--out FILE.json]
 *
 * Starts two resident captures on sockets of their own: `kept`, with its kept loader
 * (capture/kept_loader.ts), and `resident`, a loader per session (SIGHTLINE_SERVE_LOADER_PER_
 * SESSION=1, as before the kept loader); with --base, a third, `base`: DIR's resident capture
 * with its kept loader, its sessions' clients DIR's too (DIR: another checkout, e.g. main's,
 * with its loader built: this tree's changes before and after, in the same run). The `native`
 * arm: `kept`'s resident capture, its sessions' client native/'s C one (`make -C native`) in
 * place of Deno's. --arms picks the arms (default standalone,resident,kept, and base with
 * --base). Runs one warm-up of each
 * arm, then N rounds of the arms interleaved (their order rotating), each run measured by
 * measured_run.ts (a
 * resident arm: the client's CPU from the timer around it, the resident capture's and its
 * loader's from their /proc/PID/stat over the session, in 10 ms clock ticks). Prints, per arm,
 * the medians and ranges of the capture's CPU, the agent's and their ratio, the rows recorded,
 * and the paired differences of the kept arm from the others; the runs go to FILE.json. Not a
 * test: a benchmark (reports/bench/capture.md, Sessions 33-36).
 */
import { filePath } from "../../kit/file_path.ts";
import { parseArgs } from "node:util";
import { buildCTool } from "../c_tool.ts";
import { CAPTURE_MAIN } from "../../capture/command_line.ts";
import { measuredRun, type RunMeasure } from "./measured_run.ts";
import { ensureTranscript, timedTranscript } from "./transcripts.ts";
import { SIZES, WORKLOADS } from "./workloads.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    pairs: { type: "string", default: "10" },
    out: { type: "string" },
    base: { type: "string" },
    arms: { type: "string" },
  },
});
const pairs = Number(values.pairs);
type Arm = "standalone" | "resident" | "kept" | "base" | "native";
const ALL: Arm[] = ["standalone", "resident", "kept", "base", "native"];
const NATIVE_VIA = filePath("../../native/build/sightline-via", import.meta.url);
const ARMS = (values.arms?.split(",") ??
  ["standalone", "resident", "kept", ...(values.base ? ["base"] : [])]) as Arm[];
for (const a of ARMS) if (!ALL.includes(a)) throw new Error(`no arm ${a} (${ALL.join(", ")})`);
if (ARMS.includes("base") && !values.base) throw new Error("the base arm needs --base DIR");
if (ARMS.includes("native")) Deno.statSync(NATIVE_VIA);
const baseMain = values.base ? `${values.base.replace(/\/$/, "")}/capture/main.ts` : undefined;
if (baseMain) Deno.statSync(baseMain);
if (Deno.uid() !== 0) throw new Error("captures with eBPF: run it as root");

const tmp = "/tmp/sightline-bench-resident";
const workdir = `${tmp}/work`;
const scratch = `${tmp}/scratch`;
const sockets = {
  resident: `${tmp}/sock/capture.sock`,
  kept: `${tmp}/sock/kept.sock`,
  base: `${tmp}/sock/base.sock`,
};
await Deno.mkdir(scratch, { recursive: true });
const timer = await buildCTool(filePath("./proc_timer.c", import.meta.url));
const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" })
  .output();
const denoDir = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
const log = (l: string) => console.error(l);
const w = WORKLOADS.understand;
const size = SIZES.quick;
const transcript = await ensureTranscript("claude", w, size, workdir, log);
const zero = await timedTranscript(transcript, "zero", 1, scratch);
const prompt = JSON.parse(await Deno.readTextFile(w.scenario)).prompt as string;

const startServer = (socket: string, perSession: boolean, main = CAPTURE_MAIN) => {
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", main, "--serve", "--socket", socket],
    env: { DENO_DIR: denoDir, ...(perSession ? { SIGHTLINE_SERVE_LOADER_PER_SESSION: "1" } : {}) },
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  return server;
};
// the resident captures run side by side, those of arms left out too: every arm's runs pay
// the same per-system-call cost of the kept loaders' tracepoints
const servers = {
  resident: startServer(sockets.resident, true),
  kept: startServer(sockets.kept, false),
  ...(baseMain ? { base: startServer(sockets.base, false, baseMain) } : {}),
} as Record<Exclude<Arm, "standalone" | "native">, Deno.ChildProcess>;
for (const [arm, socket] of Object.entries(sockets)) {
  if (!(arm in servers)) continue;
  for (let i = 0; i < 100; i++) {
    try {
      if (Deno.lstatSync(socket).isSocket) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
}
// the kept loader loads once its server listens: a session waits for it; the benchmark too
await new Promise((r) => setTimeout(r, 2000));

const one = (arm: Arm) =>
  measuredRun({
    agent: "claude",
    workload: w,
    size,
    mode: "capture",
    transcript: zero.path,
    prompt,
    workdir,
    scratch,
    timer,
    denoDir,
    ...(arm === "native"
      ? { resident: { socket: sockets.kept, pid: servers.kept.pid }, viaClient: NATIVE_VIA }
      : arm !== "standalone"
      ? { resident: { socket: sockets[arm], pid: servers[arm].pid } }
      : {}),
    ...(arm === "base" ? { captureMain: baseMain } : {}),
  });

const runs: (RunMeasure & { arm: string; load: number })[] = [];
const loadavg = () => Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
try {
  for (let p = -1; p < pairs; p++) {
    // each arm first in turn, then the same rotations reversed
    const n = ARMS.length;
    const k = ((p % (2 * n)) + 2 * n) % (2 * n);
    const r = k % n;
    const rotated = [...ARMS.slice(r), ...ARMS.slice(0, r)];
    const order = k < n ? rotated : rotated.reverse();
    for (const arm of order) {
      const m = await one(arm);
      const resident = arm !== "standalone";
      runs.push({ ...m, arm, pair: p, load: loadavg() });
      log(
        `pair ${p} ${arm}: ok ${m.ok} capture CPU ${m.captureCpuMs?.toFixed(0)} ms ` +
          `(deno ${m.denoCpuMs?.toFixed(0)}, loader ${m.loaderCpuMs?.toFixed(0)}` +
          `${resident ? `, client ${m.clientCpuMs?.toFixed(0)}` : ""}), agent CPU ` +
          `${m.agentCpuMs.toFixed(0)} ms, rows ${JSON.stringify(m.rows)}` +
          (m.ok ? "" : ` problems: ${m.problems.join("; ")}`),
      );
    }
  }
} finally {
  for (const server of Object.values(servers)) {
    server.kill("SIGTERM");
    await server.status;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs: number[], d = 0) =>
  `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;
for (const arm of ARMS) {
  const rs = runs.filter((r) => r.arm === arm && r.pair! >= 0 && r.ok);
  const ratio = rs.map((r) => 100 * r.captureCpuMs! / r.agentCpuMs);
  console.log(
    `${arm}: ${rs.length} ok runs; capture CPU ms ${fmt(rs.map((r) => r.captureCpuMs!))}; ` +
      `deno ${fmt(rs.map((r) => r.denoCpuMs!))}; loader ${fmt(rs.map((r) => r.loaderCpuMs!))}; ` +
      (arm !== "standalone" ? `client ${fmt(rs.map((r) => r.clientCpuMs!))}; ` : "") +
      `agent CPU ms ${fmt(rs.map((r) => r.agentCpuMs))}; capture/agent % ${fmt(ratio, 1)}; ` +
      `rows ${JSON.stringify([...new Set(rs.map((r) => JSON.stringify(r.rows)))])}`,
  );
}
const first = ARMS.includes("kept") ? "kept" : ARMS[0];
for (const other of ARMS.filter((a) => a !== first)) {
  const d: number[] = [];
  const parts: Record<"deno" | "loader" | "client", number[]> = {
    deno: [],
    loader: [],
    client: [],
  };
  for (let p = 0; p < pairs; p++) {
    const a = runs.find((r) => r.arm === first && r.pair === p && r.ok);
    const b = runs.find((r) => r.arm === other && r.pair === p && r.ok);
    if (!a || !b) continue;
    d.push(a.captureCpuMs! - b.captureCpuMs!);
    parts.deno.push(a.denoCpuMs! - b.denoCpuMs!);
    parts.loader.push(a.loaderCpuMs! - b.loaderCpuMs!);
    if (a.clientCpuMs != null && b.clientCpuMs != null) {
      parts.client.push(a.clientCpuMs - b.clientCpuMs);
    }
  }
  if (d.length) {
    console.log(
      `${first} - ${other}: capture CPU ms paired ${fmt(d)}; lower in ${
        d.filter((x) => x < 0).length
      } of ${d.length}; deno ${fmt(parts.deno)}, loader ${fmt(parts.loader)}` +
        (parts.client.length ? `, client ${fmt(parts.client)}` : ""),
    );
  }
}
console.log(`load average ${fmt(runs.map((r) => r.load), 2)}`);
if (values.out) await Deno.writeTextFile(values.out, JSON.stringify(runs, null, 1));
