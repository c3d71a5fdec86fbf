/**
 * The capture's CPU per session, a capture of its own against a session of a resident capture
 * (`capture --serve` / `--via`), on the overhead benchmark's Claude Code quick understand
 * workload with zero model latency (the stress cell):
 *
 *   sudo deno run -A bench/overhead/resident_cpu.ts [--pairs N] [--out FILE.json]
 *
 * Starts a resident capture on a socket of its own, runs one warm-up of each arm, then N pairs
 * interleaved (order alternating), each run measured by measured_run.ts (the resident arm: the
 * client's CPU from the timer around it, the resident capture's and its loader's from its
 * /proc/PID/stat over the session, in 10 ms clock ticks). Prints, per arm, the medians and
 * ranges of the capture's CPU, the agent's and their ratio, and the rows recorded; the runs go
 * to FILE.json. Not a test: a benchmark (reports/bench/capture.md, Session 33).
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
const socket = `${tmp}/sock/capture.sock`;
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

const server = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    "--quiet",
    CAPTURE_MAIN,
    "--serve",
    "--socket",
    socket,
  ],
  env: { DENO_DIR: denoDir },
  stdin: "null",
  stdout: "null",
  stderr: "inherit",
}).spawn();
for (let i = 0; i < 100; i++) {
  try {
    if (Deno.lstatSync(socket).isSocket) break;
  } catch { /* not yet */ }
  await new Promise((r) => setTimeout(r, 100));
}

const one = (resident: boolean) =>
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
    ...(resident ? { resident: { socket, pid: server.pid } } : {}),
  });

const runs: (RunMeasure & { arm: string; load: number })[] = [];
const loadavg = () => Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
try {
  for (let p = -1; p < pairs; p++) {
    const order = p % 2 === 0 ? [false, true] : [true, false];
    for (const resident of order) {
      const m = await one(resident);
      const arm = resident ? "resident" : "standalone";
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
  server.kill("SIGTERM");
  await server.status;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs: number[], d = 0) =>
  `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;
for (const arm of ["standalone", "resident"]) {
  const rs = runs.filter((r) => r.arm === arm && r.pair! >= 0 && r.ok);
  const ratio = rs.map((r) => 100 * r.captureCpuMs! / r.agentCpuMs);
  console.log(
    `${arm}: ${rs.length} ok runs; capture CPU ms ${fmt(rs.map((r) => r.captureCpuMs!))}; ` +
      `deno ${fmt(rs.map((r) => r.denoCpuMs!))}; loader ${fmt(rs.map((r) => r.loaderCpuMs!))}; ` +
      (arm === "resident" ? `client ${fmt(rs.map((r) => r.clientCpuMs!))}; ` : "") +
      `agent CPU ms ${fmt(rs.map((r) => r.agentCpuMs))}; capture/agent % ${fmt(ratio, 1)}; ` +
      `rows ${JSON.stringify([...new Set(rs.map((r) => JSON.stringify(r.rows)))])}`,
  );
}
console.log(`load average ${fmt(runs.map((r) => r.load), 2)}`);
if (values.out) await Deno.writeTextFile(values.out, JSON.stringify(runs, null, 1));
