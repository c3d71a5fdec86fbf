/**
 * The capture's CPU per session, a capture of its own against sessions of a resident capture
 * (`capture --serve` / `--via`), on the overhead benchmark's Claude Code quick understand
 * workload with zero model latency (the stress cell):
 *
 *   sudo deno run -A bench/overhead/resident_cpu.ts [--pairs N] [--out FILE.json]
 *
 * Starts two resident captures on sockets of their own: `kept`, with its kept loader
 * (capture/kept_loader.ts), and `resident`, a loader per session (SIGHTLINE_SERVE_LOADER_PER_
 * SESSION=1, as before the kept loader); runs one warm-up of each arm, then N rounds of the
 * three arms interleaved (their order rotating), each run measured by measured_run.ts (a
 * resident arm: the client's CPU from the timer around it, the resident capture's and its
 * loader's from their /proc/PID/stat over the session, in 10 ms clock ticks). Prints, per arm,
 * the medians and ranges of the capture's CPU, the agent's and their ratio, the rows recorded,
 * and the paired differences of the kept arm from the others; the runs go to FILE.json. Not a
 * test: a benchmark (reports/bench/capture.md, Sessions 33-35).
 */
import { parseArgs } from "node:util";
import { buildCTool } from "../c_tool.ts";
import { CAPTURE_MAIN } from "../../capture/command_line.ts";
import { measuredRun, type RunMeasure } from "./measured_run.ts";
import { ensureTranscript, timedTranscript } from "./transcripts.ts";
import { SIZES, WORKLOADS } from "./workloads.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { pairs: { type: "string", default: "10" }, out: { type: "string" } },
});
const pairs = Number(values.pairs);
if (Deno.uid() !== 0) throw new Error("captures with eBPF: run it as root");

const tmp = "/tmp/sightline-bench-resident";
const workdir = `${tmp}/work`;
const scratch = `${tmp}/scratch`;
const sockets = { resident: `${tmp}/sock/capture.sock`, kept: `${tmp}/sock/kept.sock` };
await Deno.mkdir(scratch, { recursive: true });
const timer = await buildCTool(new URL("./proc_timer.c", import.meta.url).pathname);
const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" })
  .output();
const denoDir = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
const log = (l: string) => console.error(l);
const w = WORKLOADS.understand;
const size = SIZES.quick;
const transcript = await ensureTranscript("claude", w, size, workdir, log);
const zero = await timedTranscript(transcript, "zero", 1, scratch);
const prompt = JSON.parse(await Deno.readTextFile(w.scenario)).prompt as string;

const startServer = (socket: string, perSession: boolean) => {
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CAPTURE_MAIN, "--serve", "--socket", socket],
    env: { DENO_DIR: denoDir, ...(perSession ? { SIGHTLINE_SERVE_LOADER_PER_SESSION: "1" } : {}) },
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  return server;
};
const servers = {
  resident: startServer(sockets.resident, true),
  kept: startServer(sockets.kept, false),
};
for (const socket of Object.values(sockets)) {
  for (let i = 0; i < 100; i++) {
    try {
      if (Deno.lstatSync(socket).isSocket) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
}
// the kept loader loads once its server listens: a session waits for it; the benchmark too
await new Promise((r) => setTimeout(r, 2000));

type Arm = "standalone" | "resident" | "kept";
const ARMS: Arm[] = ["standalone", "resident", "kept"];
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
    ...(arm !== "standalone" ? { resident: { socket: sockets[arm], pid: servers[arm].pid } } : {}),
  });

const runs: (RunMeasure & { arm: string; load: number })[] = [];
const loadavg = () => Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
try {
  for (let p = -1; p < pairs; p++) {
    // every order of the three arms in turn (six rounds)
    const k = ((p % 6) + 6) % 6;
    const order = k < 3 ? [...ARMS.slice(k), ...ARMS.slice(0, k)] : [
      ...ARMS.slice(k - 3),
      ...ARMS.slice(0, k - 3),
    ].reverse();
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
for (const other of ["standalone", "resident"] as const) {
  const d: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const a = runs.find((r) => r.arm === "kept" && r.pair === p && r.ok);
    const b = runs.find((r) => r.arm === other && r.pair === p && r.ok);
    if (a && b) d.push(a.captureCpuMs! - b.captureCpuMs!);
  }
  if (d.length) {
    console.log(
      `kept - ${other}: capture CPU ms paired ${fmt(d)}; lower in ${
        d.filter((x) => x < 0).length
      } of ${d.length}`,
    );
  }
}
console.log(`load average ${fmt(runs.map((r) => r.load), 2)}`);
if (values.out) await Deno.writeTextFile(values.out, JSON.stringify(runs, null, 1));
