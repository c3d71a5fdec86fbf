/**
 * The CPU of a resident capture's client (`capture --via`, one Deno process per session), this
 * tree's against another checkout's:
 *
 *   sudo deno run -A bench/overhead/client_cpu.ts --base DIR [--pairs N] [--forms F,G]
 *     [--out FILE.json]
 *
 * Starts one resident capture (this tree's, with its kept loader) and runs N interleaved pairs
 * of `--via --socket SOCKET --out REC --quiet -- /bin/true` sessions (REC in a temporary
 * directory, removed after each), this tree's client and DIR's in turn (the order
 * alternating, after one warm-up of each), each client under proc_timer (its user and system
 * CPU once reaped, and its wall time), from a directory of neither checkout (as the README has
 * sessions run: from the command's own). --forms: how this tree's client and DIR's are started
 * (default run,run): `run`, `deno run -A --quiet CHECKOUT/capture/main.ts`; `sightline`,
 * `bash CHECKOUT/sightline capture` (what it does before Deno included: set-up, `deno task`,
 * or neither: native/'s C client when built); `task`, `deno task capture` in CHECKOUT (a
 * shell's cd first, INIT_CWD kept); `native`, CHECKOUT/native/build/sightline-via (the C client,
 * `make -C native`). The clients must speak this tree's server's protocol: to compare two
 * clients of this tree, give this tree as DIR (`--base . --forms native,run`).
 * Prints per client the medians (min–max) and the paired differences, this tree − DIR's; the
 * runs go to FILE.json. The client's share of a workload's session: resident_cpu.ts. Not a
 * test: a benchmark (reports/bench/capture.md, Sessions 37 and 38).
 */
import { parseArgs } from "node:util";
import { filePath } from "../../kit/file_path.ts";
import { buildCTool } from "../c_tool.ts";
import { CAPTURE_MAIN } from "../../capture/command_line.ts";
import { median, medianCi } from "./stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    pairs: { type: "string", default: "20" },
    base: { type: "string" },
    out: { type: "string" },
    forms: { type: "string", default: "run,run" },
  },
});
if (!values.base) throw new Error("--base DIR: the checkout to compare with");
const baseDir = (values.base.startsWith("/") ? values.base : `${Deno.cwd()}/${values.base}`)
  .replace(/\/\.?$/, "");
Deno.statSync(`${baseDir}/capture/main.ts`);
const FORMS = ["run", "sightline", "task", "native"] as const;
type Form = typeof FORMS[number];
const forms = values.forms.split(",") as Form[];
if (forms.length !== 2 || !forms.every((f) => FORMS.includes(f))) {
  throw new Error(`--forms F,G: two of ${FORMS.join(", ")}`);
}
if (Deno.uid() !== 0) throw new Error("a resident capture with eBPF: run it as root");
const pairs = Number(values.pairs);

const tmp = await Deno.makeTempDir({ prefix: "sightline-bench-client-" });
const socket = `${tmp}/capture.sock`;
const timer = await buildCTool(filePath("./proc_timer.c", import.meta.url));
const server = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", "--quiet", CAPTURE_MAIN, "--serve", "--socket", socket],
  stdin: "null",
  stdout: "null",
  stderr: "inherit",
}).spawn();

interface Run {
  arm: "this" | "base";
  pair: number;
  cpuMs: number;
  wallMs: number;
  load: number;
}

/** The command line that starts checkout `dir`'s client in `form`, up to its options. */
function client(dir: string, form: Form): string[] {
  if (form === "run") return [Deno.execPath(), "run", "-A", "--quiet", `${dir}/capture/main.ts`];
  if (form === "sightline") return ["bash", `${dir}/sightline`, "capture"];
  if (form === "native") return [`${dir}/native/build/sightline-via`];
  const task =
    `cd "$0" && export INIT_CWD="$1" && deno=$2 && shift 2 && exec "$deno" task capture "$@"`;
  return ["/bin/sh", "-c", task, dir, tmp, Deno.execPath()];
}

/**
 * One session's client, checkout `dir`'s started in `form`; its CPU and wall time. Its
 * recording goes to the temporary directory (without --out the server would write one per
 * session into its checkout's recordings/) and is removed once the client is done.
 */
async function session(dir: string, form: Form, pair: number, arm: Run["arm"]): Promise<Run> {
  const out = `${tmp}/timer.json`;
  const rec = `${tmp}/rec`;
  const res = await new Deno.Command(timer, {
    args: [out, "--", ...client(dir, form), "--via", "--socket", socket]
      .concat(["--out", rec, "--quiet", "--", "/bin/true"]),
    cwd: tmp,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!res.success) {
    throw new Error(`${arm} client failed: ${new TextDecoder().decode(res.stderr).trim()}`);
  }
  const t = JSON.parse(await Deno.readTextFile(out));
  await Deno.remove(rec, { recursive: true });
  const load = Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  return { arm, pair, cpuMs: (t.user_us + t.sys_us) / 1000, wallMs: t.wall_ns / 1e6, load };
}

const runs: Run[] = [];
try {
  for (let i = 0; i < 100 && !(await Deno.lstat(socket).catch(() => null))?.isSocket; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  // the kept loader loads once the server listens: the first session waits for it
  for (let p = -1; p < pairs; p++) {
    const order: [string, Form, Run["arm"]][] = [
      [filePath("../..", import.meta.url).replace(/\/$/, ""), forms[0], "this"],
      [baseDir, forms[1], "base"],
    ];
    if (p % 2) order.reverse();
    for (const [dir, form, arm] of order) runs.push(await session(dir, form, p, arm));
  }
} finally {
  server.kill("SIGTERM");
  await server.status;
  await Deno.remove(tmp, { recursive: true });
}

const fmt = (xs: number[]) =>
  `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
const of = (arm: Run["arm"]) => runs.filter((r) => r.arm === arm && r.pair >= 0);
for (const arm of ["this", "base"] as const) {
  console.log(
    `${arm} (${forms[arm === "this" ? 0 : 1]}): ${of(arm).length} clients; CPU ms ${
      fmt(of(arm).map((r) => r.cpuMs))
    }; ` +
      `wall ms ${fmt(of(arm).map((r) => r.wallMs))}`,
  );
}
const paired = (key: "cpuMs" | "wallMs") =>
  of("this").map((r) => r[key] - of("base").find((b) => b.pair === r.pair)![key]);
const cpu = paired("cpuMs");
const ci = medianCi(cpu);
console.log(
  `this - base, paired: CPU ms ${fmt(cpu)}, the median's 95% interval ${ci.lo.toFixed(1)} to ` +
    `${ci.hi.toFixed(1)}, lower in ${cpu.filter((d) => d < 0).length} of ` +
    `${cpu.length}; wall ms ${fmt(paired("wallMs"))}; load average ${fmt(runs.map((r) => r.load))}`,
);
if (values.out) await Deno.writeTextFile(values.out, JSON.stringify(runs, null, 1));
