/**
 * Ctrl-C for an agent run under capture: waits for the scripted moment (`stream`: the scripted
 * server's log shows the main request whose answer stalls after its first events; `tool`: its
 * build script's `sleep 45` runs) and then sends SIGINT to the agent's process and those below
 * it in its process group, what a terminal's Ctrl-C reaches (a tool the agent runs in a group of
 * its own is the agent's to stop). Used by lab/integration/agent_interrupt_capture_test.ts and the coverage matrix's
 * interrupt scenarios (lab/coverage/scenario_play.ts).
 */
import { descendants, type Proc } from "../../kit/cli.ts";
import { stat } from "../../kit/procs.ts";
import type { RequestRecord } from "../simulator/mod.ts";

/** Where the interrupt falls: while the model's answer streams, or while the agent's tool runs. */
export type InterruptPoint = "stream" | "tool";

const cmdline = (pid: number) => {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ");
  } catch {
    return "";
  }
};

/** The agent under this process's capture: the loader's child that is not its watchdog. */
export function agentProcess(): Proc | undefined {
  const loader = descendants().find((p) => cmdline(p.pid).includes("sightline-loader"));
  if (!loader) return undefined;
  return descendants(loader.pid).find((p) =>
    stat(p.pid)?.ppid === loader.pid && !cmdline(p.pid).startsWith("sightline-watchdog")
  );
}

/** A record of the scripted server's log, as far as `ctrlC` reads it. */
export type ServedRecord = Pick<RequestRecord, "kind" | "error" | "status">;

/**
 * Whether the server's log holds a main request whose answer stalls now (its scripted `stall`
 * cut: its first events sent, no status yet as the answer has not ended): the moment to
 * interrupt a streaming answer. Not an open connection, which an agent may make early.
 */
export function stallingNow(requests: readonly ServedRecord[]): boolean {
  return requests.some((r) =>
    r.kind === "main" && r.status === undefined &&
    (r.error ?? "").startsWith("scripted failure: stall")
  );
}

/** How `ctrlC` finds its moment and its agent. */
export interface CtrlCOptions {
  /** the scripted server's log so far: needed for `stream` (`stallingNow`) */
  served?: () => readonly ServedRecord[];
  /** the agent's process (default `agentProcess`: the capture's agent) */
  agent?: () => Proc | undefined;
  /** how long to wait once the moment came (default 1 s: the agent reads the first events) */
  settleMs?: number;
}

/** Waits `ms`, or less when `stop` is aborted meanwhile; whether it was. */
async function waitUnlessStopped(ms: number, stop: AbortSignal): Promise<boolean> {
  for (let left = ms; left > 0 && !stop.aborted; left -= 100) {
    await new Promise((r) => setTimeout(r, Math.min(100, left)));
  }
  return stop.aborted;
}

/**
 * Sends SIGINT to `top` and those of `procs` (its descendants) in its process group, as Ctrl-C,
 * each only if it is still the process seen (same start time: a pid reused meanwhile is another
 * process and is left alone). Returns the names of those signalled, read before the signal.
 */
export function sigintGroup(top: Proc, procs: Proc[]): string[] {
  const topNow = stat(top.pid);
  if (!topNow || topNow.start !== top.start) return [];
  const hit: string[] = [];
  for (const p of [top, ...procs]) {
    const s = stat(p.pid);
    if (!s || s.start !== p.start || s.pgrp !== topNow.pgrp || s.state === "Z") continue;
    try {
      Deno.kill(p.pid, "SIGINT");
      hit.push(s.comm);
    } catch { /* gone */ }
  }
  return hit;
}

/**
 * Waits for the moment `when`, then sends SIGINT to the agent's process and those below it in
 * its process group, as Ctrl-C (`sigintGroup`). Returns the names of the processes signalled;
 * none when `stop` was aborted first, also during the wait after the moment (the agent ended
 * before the moment came), or when the agent was gone by then.
 */
export async function ctrlC(
  when: InterruptPoint,
  stop: AbortSignal,
  opts: CtrlCOptions = {},
): Promise<string[]> {
  const served = opts.served;
  if (when === "stream" && !served) {
    throw new Error("ctrlC: an interrupt in the stream needs the server's log (served)");
  }
  const agent = opts.agent ?? agentProcess;
  while (!stop.aborted) {
    await new Promise((r) => setTimeout(r, 200));
    if (stop.aborted) break;
    const top = agent();
    if (!top) continue;
    const ready = when === "tool"
      ? [top, ...descendants(top.pid)].some((p) => cmdline(p.pid).startsWith("sleep 45"))
      : stallingNow(served!());
    if (!ready) continue;
    // the answer's first events are in, or the script's sleep has begun
    if (await waitUnlessStopped(opts.settleMs ?? 1000, stop)) return [];
    return sigintGroup(top, descendants(top.pid));
  }
  return [];
}

/** A traced process the recording has no end of (`processes` with `end_ns` null). */
export interface Unended {
  pid: number;
  comm: string;
  /** its fork time, ns since the epoch (`processes.start_ns`) */
  start_ns: number;
}

/** When a process started, ns since the epoch, from its /proc start time (ticks after boot). */
function startedNs(start: string): number {
  const uptime = Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]);
  const bootNs = Date.now() * 1e6 - uptime * 1e9;
  // /proc/PID/stat's start time is in clock ticks (USER_HZ 100) after boot
  return bootNs + Number(start) * 1e7;
}

/**
 * Of the processes the recording traced and has no end of, those still running after the agent
 * ended (what an interrupted agent left running of its command): the same process, started
 * within 0.5 s of the recorded fork (a reused pid is another process), never the capture's own
 * (`sightline-*`, its watchdog).
 */
export function leftRunning(unended: readonly Unended[]): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const u of unended) {
    if (u.pid === Deno.pid || u.comm.startsWith("sightline-")) continue;
    const s = stat(u.pid);
    if (!s || s.state === "Z" || s.comm.startsWith("sightline-")) continue;
    if (Math.abs(startedNs(s.start) - u.start_ns) > 5e8) continue;
    out.push({ pid: u.pid, comm: s.comm });
  }
  return out.sort((a, b) => a.pid - b.pid);
}
