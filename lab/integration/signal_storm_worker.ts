/**
 * The worker of signal_storm.ts: sends the signal to every thread of the matching processes
 * below `root` until told to stop, then posts how many it sent.
 */
import { descendants, stat } from "../../kit/procs.ts";
import type { StormStart } from "./signal_storm.ts";

function exeName(pid: number): string {
  try {
    const path = Deno.readLinkSync(`/proc/${pid}/exe`);
    return path.slice(path.lastIndexOf("/") + 1);
  } catch {
    return "";
  }
}

/** The name of thread `tid` of `pid`, or "" once it is gone. */
function threadName(pid: number, tid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${tid}/comm`).trimEnd();
  } catch {
    return "";
  }
}

/** Thread ids (those named `threads`, if given) of the processes below `root` whose
 * executable's file name is `exe` and whose parent's is not (the agent, not its helpers nor
 * its children between fork and exec). */
function targets(root: number, exe: string, threads: string | undefined, seen: Set<number>) {
  const tids: number[] = [];
  for (const { pid } of descendants(root)) {
    if (exeName(pid) !== exe || exeName(stat(pid)?.ppid ?? 0) === exe) continue;
    seen.add(pid);
    try {
      for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
        const tid = Number(t.name);
        if (threads === undefined || threadName(pid, tid) === threads) tids.push(tid);
      }
    } catch { /* gone */ }
  }
  return tids;
}

self.onmessage = (e: MessageEvent<StormStart>) => {
  const { root, exe, signal, periodUs, threads } = e.data;
  const stop = new Int32Array(e.data.stop);
  const seen = new Set<number>();
  let sent = 0;
  let tids: number[] = [];
  let scanned = 0;
  while (Atomics.load(stop, 0) === 0) {
    if (performance.now() - scanned >= 20) {
      tids = targets(root, exe, threads, seen);
      scanned = performance.now();
    }
    for (const t of tids) {
      try {
        Deno.kill(t, signal);
        sent++;
      } catch { /* the thread is gone */ }
    }
    Atomics.wait(stop, 0, 0, periodUs / 1000);
  }
  self.postMessage({ sent, processes: seen.size });
};
