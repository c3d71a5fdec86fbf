/**
 * What every process outside a capture pays per system call while one runs: the raw
 * tracepoint programs (sl_sys_enter, sl_sys_exit) run for every call of every task and let
 * untraced ones go at the syscall table or the traced set. Measured with tight loops of one
 * plain call in a process the capture does not trace (event_load sys) while a capture of a
 * sleeping process runs:
 *
 * - the whole cost as the loop sees it (the programs and the tracepoints' dispatch): its thread
 *   CPU time per call in blocks without and with a capture, in pairs whose order alternates
 *   (without-with, with-without, ...: the capture stays up across the two with-blocks in a row,
 *   so half of each arm's blocks follow a start or a stop, half another block of the same arm),
 *   after a warm-up pair; the machine let settle after each start and stop (at most 3 s; the
 *   times it did not are logged and counted in the result); the cost is the
 *   median of the pairs' differences with its 95% interval;
 * - the same pairs with nothing attached in either arm, as a check of the method (0 expected);
 * - the same against empty programs on the two tracepoints (null_tp.c): the tracepoints'
 *   dispatch, the floor under any program there (empty programs against nothing), and what the
 *   capture's programs cost beyond it (the capture against empty programs);
 * - the programs' own time per call, from the kernel's accounting (bpf_stats: run count and
 *   time of each program) over the loop's windows, less that over idle windows as long (what
 *   the rest of the machine's calls cost meanwhile), and what the accounting itself adds per
 *   call (pairs of blocks with it off and on): it reads the clock around each run, which is
 *   most of what it counts for programs this cheap. It is off in the other measures.
 */
import { cpuUsage } from "node:process";
import { fileURLToPath } from "node:url";
import { buildCTool } from "../c_tool.ts";
import { run as capture } from "../../capture/recorder.ts";
import { pairOrder } from "../overhead/stats.ts";
import { childNamed } from "../overhead/proc_sampler.ts";
import {
  counterDeltas,
  linkedProgramIds,
  type ProgramCounters,
  programCounters,
  programIds,
  setStats,
} from "./bpf_stats.ts";
import {
  pairedCost,
  type ProgramsPerCall,
  programsPerCall,
  type SyscallCost,
} from "./untraced_costs.ts";

export interface UntracedOptions {
  /** pairs of blocks (one block: one loop of each call) */
  pairs: number;
  /** calls per loop in the A/B's blocks, and loops per call in each block */
  calls: number;
  reps: number;
  /** loop windows (and as many idle ones) per call for the programs' accounting */
  windows: number;
  /** calls per loop in those windows */
  windowCalls: number;
  tmp: string;
  log: (line: string) => void;
}

export interface Untraced {
  date: string;
  /** load average before and after */
  load: [string, string];
  pairs: number;
  /** captures started and stopped for the A/Bs */
  captures: number;
  /** starts and stops of a capture or the empty programs after which the machine did not
   * settle within 3 s (the next block may carry their aftermath); absent in older results */
  unsettled?: number;
  seconds: number;
  /** loops of each call per block */
  reps: number;
  /** per block, the fastest of its loops (a burst of the rest of the machine's load slows the
   * loop it overlaps; the fastest is the least touched) */
  syscalls: SyscallCost[];
  /** per block, all of its loops */
  syscallsAll: SyscallCost[];
  /** the check of the method: the same pairs with nothing attached in either arm (0 expected) */
  aa: SyscallCost[];
  /** the tracepoints' dispatch and an empty program on each (null_tp.c) against nothing */
  floor: SyscallCost[];
  /** the capture against those empty programs: what its programs cost beyond an empty one */
  beyond: SyscallCost[];
  /** what the kernel's accounting (bpf_stats) adds per call while the capture runs: the same
   * pairs of blocks with it off and on (the fastest loop) */
  statsCost: SyscallCost[];
  programs: ProgramsPerCall[];
}

export const OPS = [
  { op: "getpid", what: "getpid(2) (not in the syscall table)", syscalls: 1 },
  { op: "open", what: "openat(2)+close(2) of /dev/null (in the table)", syscalls: 2 },
  { op: "read", what: "read(2) of 1 byte (in the table)", syscalls: 1 },
] as const;

const NULL_TP = fileURLToPath(new URL("./null_tp.c", import.meta.url));
const loadavg = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `reps` loops of `calls` calls of `op` in one process: the thread CPU ns per call of the
 * fastest loop, and over all of them.
 */
async function loopCpu(
  gen: string,
  op: string,
  calls: number,
  reps = 1,
): Promise<{ fastest: number; all: number }> {
  const r = await new Deno.Command(gen, {
    args: ["sys", op, String(calls), String(reps)],
    stdout: "piped",
  }).output();
  if (!r.success) throw new Error(`event_load sys ${op} failed`);
  const out = JSON.parse(new TextDecoder().decode(r.stdout));
  return { fastest: out.min_cpu_ns / calls, all: out.cpu_ns / (calls * reps) };
}

/** On-CPU ns of every thread of `pid` (scheduler's accounting), 0 once it is gone. */
function threadsCpuNs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  let ns = 0;
  try {
    for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
      ns += Number(Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/schedstat`).split(" ")[0]);
    }
  } catch { /* gone */ }
  return ns;
}

/**
 * Polls `used` (CPU ms so far) every `stepMs` until it grew by under `quietMs` in one step:
 * true; false (not settled) after `tries` steps.
 */
export async function quiet(
  used: () => number,
  wait: (ms: number) => Promise<unknown>,
  tries = 30,
  stepMs = 100,
  quietMs = 2,
): Promise<boolean> {
  let last = used();
  for (let i = 0; i < tries; i++) {
    await wait(stepMs);
    const now = used();
    if (now - last < quietMs) return true;
    last = now;
  }
  return false;
}

/**
 * Waits until this process and the loader (if any) used under 2 ms of CPU in the last 100 ms
 * (the capture's start or end is over), at most 3 s: whether they did.
 */
function settle(loaderPid?: number): Promise<boolean> {
  return quiet(
    () => threadsCpuNs(loaderPid) / 1e6 + (cpuUsage().user + cpuUsage().system) / 1e3,
    sleep,
  );
}

/** Called after each settle: whether it settled, and after what. */
type Settled = (ok: boolean, after: string) => void;

/**
 * Resolves once the new capture's sl_sys_enter and sl_sys_exit (not among the programs
 * `before`: an ended capture's may linger a moment) are attached; throws after 10 s.
 */
async function attached(before: Set<number>): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    const ours = (await programCounters(before)).filter((p) =>
      p.name === "sl_sys_enter" || p.name === "sl_sys_exit"
    );
    if (ours.length === 2) {
      const linked = await linkedProgramIds();
      if (ours.every((p) => linked.has(p.id))) return;
    }
    await sleep(25);
  }
  throw new Error("the capture's syscall programs were not attached within 10 s");
}

/** The captured process of a capture watching DNS sockets: once told (a line on stdin), it
 * connects a UDP socket to 127.0.0.1:53 and sends a DNS question on it (the capture then
 * watches reads and writes for answers and questions: sock_watch's WATCH_DNS_SOCKS), says
 * so, and sleeps with the socket open. */
const DNS_SLEEPER_PY = `
import socket, struct, sys, time
sys.stdin.readline()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("127.0.0.1", 53))
s.send(struct.pack(">HHHHHH", 0x4d2, 0x0100, 1, 0, 0, 0) + b"\\x05bench\\x09sightline\\x04test\\0" + struct.pack(">HH", 1, 1))
print("sent", flush=True)
time.sleep(600)
`;

/**
 * A capture of a sleeping process, up and settled; `before`: the programs loaded before it.
 * With `dns`, the process sends a DNS question once the capture is attached (DNS_SLEEPER_PY).
 */
async function bystander(tmp: string, settled: Settled, dns = false) {
  const before = await programIds();
  const sleeper = dns
    ? new Deno.Command("python3", {
      args: ["-c", DNS_SLEEPER_PY],
      stdin: "piped",
      stdout: "piped",
    }).spawn()
    : new Deno.Command("sleep", { args: ["600"] }).spawn();
  const stop = new AbortController();
  const cap = capture({
    pids: [sleeper.pid],
    out: `${tmp}/untraced-rec`,
    force: true,
    quiet: true,
    signal: stop.signal,
  });
  const end = async () => {
    stop.abort();
    try {
      const res = await cap;
      await res.loaderExit;
    } finally {
      sleeper.kill();
      await sleeper.status;
    }
  };
  try {
    await Promise.race([
      attached(before),
      cap.then(() => {
        throw new Error("the capture of a sleeping process ended before it attached");
      }),
    ]);
    const loader = childNamed(Deno.pid, "sightline-loade");
    if (loader === undefined) {
      throw new Error(
        "the capture's loader (sightline-loade, a child of this process) was not found: " +
          "cannot wait for its start to settle",
      );
    }
    settled(await settle(loader), "a capture's start");
    if (dns) {
      const w = sleeper.stdin.getWriter();
      await w.write(new TextEncoder().encode("go\n"));
      const said = await sleeper.stdout.getReader().read();
      if (!new TextDecoder().decode(said.value).startsWith("sent")) {
        throw new Error("the captured process did not send its DNS question");
      }
      settled(await settle(loader), "a capture's DNS question");
    }
  } catch (e) {
    await end().catch(() => {});
    throw e;
  }
  return {
    before,
    async stop() {
      await end();
      settled(await settle(), "a capture's stop");
    },
  };
}

/** Empty programs on the same two tracepoints (null_tp.c), attached; `stop()` detaches them. */
async function emptyPrograms(bin: string, settled: Settled) {
  const p = new Deno.Command(bin, { stdin: "piped", stdout: "piped" }).spawn();
  const out = p.stdout.getReader();
  const first = await out.read();
  if (!new TextDecoder().decode(first.value).startsWith("attached")) {
    await p.stdin.close().catch(() => {});
    await p.status;
    throw new Error("null_tp did not attach its programs");
  }
  settled(await settle(), "the empty programs' start");
  return {
    async stop() {
      await p.stdin.close();
      while (!(await out.read()).done);
      if (!(await p.status).success) throw new Error("null_tp failed");
      settled(await settle(), "the empty programs' stop");
    },
  };
}

/** What is attached to the syscall tracepoints in an arm of an A/B. */
export type ArmState = "nothing" | "empty programs" | "capture" | "capture watching DNS";

/**
 * Puts the machine in a state, stopping what the last one attached; counts (and logs) the
 * starts and stops after which the machine did not settle.
 */
function stateKeeper(tmp: string, nullTp: string, log: (line: string) => void) {
  let cap: Awaited<ReturnType<typeof bystander>> | undefined;
  let capState: ArmState | undefined;
  let empty: Awaited<ReturnType<typeof emptyPrograms>> | undefined;
  const settled: Settled = (ok, after) => {
    if (ok) return;
    k.unsettled++;
    log(`untraced: the machine did not settle within 3 s after ${after} (${k.unsettled} so far)`);
  };
  const k = {
    captures: 0,
    unsettled: 0,
    get capture() {
      return cap;
    },
    async to(state: ArmState) {
      if (state !== capState && cap) [cap] = [undefined, await cap.stop()];
      if (state !== "empty programs" && empty) [empty] = [undefined, await empty.stop()];
      if ((state === "capture" || state === "capture watching DNS") && !cap) {
        cap = await bystander(tmp, settled, state === "capture watching DNS");
        capState = state;
        k.captures++;
      }
      if (state === "empty programs" && !empty) empty = await emptyPrograms(nullTp, settled);
    },
  };
  return k;
}

/** Per call, by call: the fastest loop of each block, and all of its loops, for each arm. */
interface Blocks {
  fastest: Record<string, number[]>;
  all: Record<string, number[]>;
}

/** A loop's call: its event_load sys OP and what it is. */
type Op = { readonly op: string; readonly what: string };

const noBlocks = (ops: readonly Op[]): Blocks => ({
  fastest: Object.fromEntries(ops.map(({ op }) => [op, []])),
  all: Object.fromEntries(ops.map(({ op }) => [op, []])),
});

/**
 * `pairs` pairs of blocks (after a warm-up pair, not kept) in alternating order (a b, b a, ...);
 * `enter` puts the machine in arm a's or b's state before each block (nothing to do when it is
 * in it).
 */
async function pairedBlocks(
  gen: string,
  o: UntracedOptions,
  pairs: number,
  enter: (arm: "a" | "b") => Promise<void>,
  what: string,
  ops: readonly Op[] = OPS,
): Promise<{ a: Blocks; b: Blocks; bFirst: boolean[] }> {
  const blocks = { a: noBlocks(ops), b: noBlocks(ops) };
  const bFirst: boolean[] = [];
  let block = 0;
  for (let i = 0; i <= pairs; i++) {
    const order = pairOrder(i).map((x) => x === "baseline" ? "a" : "b");
    if (i > 0) bFirst.push(order[0] === "b");
    for (const arm of order) {
      await enter(arm);
      // the calls' order turns from block to block
      const n = block++;
      for (let k = 0; k < ops.length; k++) {
        const { op } = ops[(n + k) % ops.length];
        const ns = await loopCpu(gen, op, o.calls, o.reps);
        if (i === 0) continue;
        blocks[arm].fastest[op].push(ns.fastest);
        blocks[arm].all[op].push(ns.all);
      }
    }
    if (i > 0 && i % 10 === 0) o.log(`${what}: ${i}/${pairs} pairs`);
  }
  return { ...blocks, bFirst };
}

/** The costs of the paired blocks, by call, with a line each in the log. */
function blockCosts(
  o: UntracedOptions,
  what: string,
  r: Awaited<ReturnType<typeof pairedBlocks>>,
  basis: "fastest" | "all",
  ops: readonly Op[] = OPS,
): SyscallCost[] {
  return ops.map(({ op, what: call }) => {
    const c = pairedCost(
      op,
      call,
      r.a[basis][op],
      r.b[basis][op],
      o.calls,
      r.bFirst,
    );
    o.log(
      `${what}, ${op} (${basis === "fastest" ? "fastest loop" : "all loops"}): ` +
        `${c.withoutNs.toFixed(1)} → ${c.withNs.toFixed(1)} ns per call, cost ` +
        `${c.diff.median.toFixed(1)} ns [${c.diff.lo.toFixed(1)}, ${c.diff.hi.toFixed(1)}], ` +
        `dearer in ${c.higher}/${c.pairs} pairs; by order ${c.byOrder?.withoutFirst.toFixed(1)} ` +
        `/ ${c.byOrder?.withFirst.toFixed(1)}`,
    );
    return c;
  });
}

export async function untracedSyscalls(gen: string, o: UntracedOptions): Promise<Untraced> {
  const nullTp = await buildCTool(NULL_TP);
  const t0 = performance.now();
  const load0 = loadavg();
  const keep = stateKeeper(o.tmp, nullTp, o.log);
  const arms = (a: ArmState, b: ArmState) => (arm: "a" | "b") => keep.to(arm === "a" ? a : b);
  let ab, same, floor, beyond, accounting, programs: ProgramsPerCall[];
  // the kernel's accounting costs every call more than the capture does: off for every A/B
  // but its own, whatever an earlier run (killed inside withProgramCosts) or a tool left it at
  const statsFound = await setStats("0");
  if (statsFound !== "0") {
    o.log(`untraced: kernel.bpf_stats_enabled was ${statsFound}: off for the A/Bs, put back after`);
  }
  try {
    ab = await pairedBlocks(gen, o, o.pairs, arms("nothing", "capture"), "untraced A/B");
    same = await pairedBlocks(gen, o, o.pairs, arms("nothing", "nothing"), "A/A");
    floor = await pairedBlocks(gen, o, o.pairs, arms("nothing", "empty programs"), "floor A/B");
    beyond = await pairedBlocks(
      gen,
      o,
      o.pairs,
      arms("empty programs", "capture"),
      "beyond A/B",
    );
    await keep.to("capture");
    // the kernel's accounting: what it costs per call (toggled while the capture stays up),
    // then what it counts
    try {
      accounting = await pairedBlocks(
        gen,
        o,
        o.pairs,
        async (arm) => void await setStats(arm === "b" ? "1" : "0"),
        "bpf_stats A/B",
      );
      await setStats("1");
      programs = await programCosts(gen, keep.capture!.before, o);
    } finally {
      await setStats("0");
    }
  } finally {
    await setStats(statsFound);
    await keep.to("nothing");
    await Deno.remove(`${o.tmp}/untraced-rec`, { recursive: true }).catch(() => {});
  }
  const syscalls = blockCosts(o, "untraced A/B", ab, "fastest");
  const syscallsAll = blockCosts(o, "untraced A/B", ab, "all");
  const aa = blockCosts(o, "nothing against nothing", same, "fastest");
  const floorCost = blockCosts(o, "empty programs against nothing", floor, "fastest");
  const beyondCost = blockCosts(o, "capture against empty programs", beyond, "fastest");
  const statsCost = blockCosts(o, "bpf_stats on against off", accounting, "fastest");
  for (const p of programs) {
    o.log(
      `untraced ${p.op}, programs: ${p.nsPerCall.toFixed(1)} ns per call (${
        p.programs.map((g) => `${g.name} ${g.nsPerCall.toFixed(1)}`).join(", ")
      }; others' runs ${(p.othersShare * 100).toFixed(1)}%)`,
    );
  }
  return {
    date: new Date().toISOString(),
    load: [load0, loadavg()],
    pairs: o.pairs,
    captures: keep.captures,
    unsettled: keep.unsettled,
    seconds: (performance.now() - t0) / 1000,
    reps: o.reps,
    syscalls,
    syscallsAll,
    aa,
    floor: floorCost,
    beyond: beyondCost,
    statsCost,
    programs,
  };
}

/**
 * The programs' own time per call (bpf_stats on, by the caller): windows of the loop and idle windows as long
 * in alternating order (loop-idle, idle-loop, ...), the counters read before and after each.
 */
async function programCosts(
  gen: string,
  before: Set<number>,
  o: UntracedOptions,
  ops: readonly (Op & { readonly syscalls: number })[] = OPS,
): Promise<ProgramsPerCall[]> {
  const out: ProgramsPerCall[] = [];
  for (const { op, what, syscalls } of ops) {
    const loops: ProgramCounters[][] = [], idles: ProgramCounters[][] = [];
    let loopMs = 0;
    for (let w = 0; w < o.windows; w++) {
      for (const kind of w % 2 ? ["idle", "loop"] : ["loop", "idle"]) {
        const a = await programCounters(before);
        const t = performance.now();
        if (kind === "loop") {
          await loopCpu(gen, op, o.windowCalls);
          loopMs = performance.now() - t;
        } else await sleep(loopMs);
        const d = counterDeltas(a, await programCounters(before));
        (kind === "loop" ? loops : idles).push(d);
      }
    }
    out.push(programsPerCall(op, what, loops, idles, o.windows * o.windowCalls, syscalls));
  }
  return out;
}

/** The calls of the DNS gate's A/Bs: getpid, which no gate looks at (a control), and the
 * read and write that the gate on sock_watch lets through once DNS sockets are watched. */
export const DNS_GATE_OPS = [
  { op: "getpid", what: "getpid(2) (not in the syscall table)", syscalls: 1 },
  { op: "read", what: "read(2) of 1 byte of /dev/zero", syscalls: 1 },
  { op: "write", what: "write(2) of 1 byte to /dev/null", syscalls: 1 },
] as const;

export interface DnsGate {
  date: string;
  load: [string, string];
  pairs: number;
  captures: number;
  unsettled: number;
  seconds: number;
  /** nothing against a capture whose process has a DNS socket (the gate open) */
  all: SyscallCost[];
  /** a capture of a sleeping process (the gate shut) against one watching DNS */
  gate: SyscallCost[];
  /** the programs' own time per call (bpf_stats), with the gate shut and open */
  programs: { shut: ProgramsPerCall[]; open: ProgramsPerCall[] };
}

/**
 * What a process outside the capture pays per read(2) and write(2) once the capture watches
 * DNS sockets: sl_sys_enter's gate on sock_watch then lets every read and write on the host
 * through to the traced set's test. Two A/Bs of the fastest loop's thread CPU per call: nothing
 * against a capture watching DNS, and a capture that does not against one that does.
 */
export async function dnsGateCosts(gen: string, o: UntracedOptions): Promise<DnsGate> {
  const t0 = performance.now();
  const load0 = loadavg();
  const keep = stateKeeper(o.tmp, "", o.log);
  const arms = (a: ArmState, b: ArmState) => (arm: "a" | "b") => keep.to(arm === "a" ? a : b);
  let all, gate;
  const programs: { shut: ProgramsPerCall[]; open: ProgramsPerCall[] } = { shut: [], open: [] };
  const statsFound = await setStats("0");
  try {
    all = await pairedBlocks(
      gen,
      o,
      o.pairs,
      arms("nothing", "capture watching DNS"),
      "DNS gate, nothing against a capture watching DNS",
      DNS_GATE_OPS,
    );
    gate = await pairedBlocks(
      gen,
      o,
      o.pairs,
      arms("capture", "capture watching DNS"),
      "DNS gate, a capture against one watching DNS",
      DNS_GATE_OPS,
    );
    for (const state of ["capture", "capture watching DNS"] as const) {
      await keep.to(state);
      await setStats("1");
      try {
        programs[state === "capture" ? "shut" : "open"] = await programCosts(
          gen,
          keep.capture!.before,
          o,
          DNS_GATE_OPS,
        );
      } finally {
        await setStats("0");
      }
    }
  } finally {
    await setStats(statsFound);
    await keep.to("nothing");
    await Deno.remove(`${o.tmp}/untraced-rec`, { recursive: true }).catch(() => {});
  }
  return {
    date: new Date().toISOString(),
    load: [load0, loadavg()],
    pairs: o.pairs,
    captures: keep.captures,
    unsettled: keep.unsettled,
    seconds: (performance.now() - t0) / 1000,
    all: blockCosts(o, "nothing against a capture watching DNS", all, "fastest", DNS_GATE_OPS),
    gate: blockCosts(o, "a capture against one watching DNS", gate, "fastest", DNS_GATE_OPS),
    programs,
  };
}
