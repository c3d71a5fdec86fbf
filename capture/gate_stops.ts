/**
 * The processes the exec gate stopped that the loader has not yet resumed, as the capture sees
 * them: a stop is noted when its SL_K_GATE record (SL_F_STOPPED) arrives, and forgotten once
 * the loader has replied to the capture's `cont` (it forgets the pid then and sent SIGCONT).
 * The loader resumes what it stopped at its own end; when it dies without one (SIGKILL by the
 * OOM killer or a user, a crash) its programs are detached with its descriptors and nobody else
 * would: the capture resumes those it knows of itself (resumeAll), each checked by its start
 * time to be the process the gate stopped, never a later one that reuses its pid.
 *
 * What it cannot know: a stop whose record was still in the kernel's ring buffer, unread, when
 * the loader died (the buffer goes with it). Those the loader's watchdog resumes (it holds the
 * kernel's own list of the stops unanswered: bpf/watchdog.h, capture/watchdog_report.ts): the
 * capture waits for its report and resumes, of what it knows, what the watchdog has not
 * (mergeResumed counts both). Should the watchdog not report, the stops it may have left are
 * not signalled (a stopped process may be stopped on purpose: Ctrl-Z, a debugger) but told:
 * stoppedUnknown lists the traced processes still stopped.
 */
import { type Proc, procOf, stat } from "../kit/procs.ts";
import type { WatchdogReport } from "./watchdog_report.ts";

/** Linux USER_HZ: /proc/PID/stat's start time is in these ticks after boot. */
const TICK_NS = 10_000_000n;

/** What resumeAll did, per process the gate had stopped and the loader left stopped. */
export interface Resumed {
  /** sent SIGCONT: the same process as the gate stopped */
  resumed: number[];
  /** ended meanwhile (or its pid is another process's now): nothing to do */
  gone: number[];
  /** SIGCONT failed, with why */
  failed: { pid: number; error: string }[];
}

export class GateStops {
  /** pid -> the process (start time) and how many of its stops are unanswered */
  #stopped = new Map<number, { proc: Proc; count: number }>();

  /**
   * A stop reported (`bootNs`: the record's CLOCK_BOOTTIME time). The process is looked up now;
   * one that started after the stop (its pid already reused) or is gone is not noted.
   */
  stopped(pid: number, bootNs: bigint): void {
    const known = this.#stopped.get(pid);
    const proc = procOf(pid);
    if (!proc || BigInt(proc.start) * TICK_NS > bootNs + TICK_NS) return;
    if (known && known.proc.start === proc.start) known.count++;
    else this.#stopped.set(pid, { proc, count: 1 });
  }

  /** The loader replied to a `cont` for `pid`: one of its stops is answered. */
  answered(pid: number): void {
    const known = this.#stopped.get(pid);
    if (known && --known.count <= 0) this.#stopped.delete(pid);
  }

  /** The pids stopped and not answered. */
  pending(): number[] {
    return [...this.#stopped.keys()];
  }

  /**
   * Sends SIGCONT to every process stopped and not answered that is still the one the gate
   * stopped, and forgets them all. For when the loader has gone without resuming them: call it
   * once the loader has exited (its programs detached), or a resumed process may be stopped
   * again with nobody left to answer. `handled`: pids the loader's watchdog has dealt with
   * (forgotten here, not signalled again).
   */
  resumeAll(handled: Iterable<number> = []): Resumed {
    const out: Resumed = { resumed: [], gone: [], failed: [] };
    const skip = new Set(handled);
    for (const [pid, { proc }] of this.#stopped) {
      if (skip.has(pid)) continue;
      if (procOf(pid)?.start !== proc.start) {
        out.gone.push(pid);
        continue;
      }
      try {
        Deno.kill(pid, "SIGCONT");
        out.resumed.push(pid);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) out.gone.push(pid);
        else out.failed.push({ pid, error: (e as Error).message });
      }
    }
    this.#stopped.clear();
    return out;
  }
}

/** The pids the watchdog dealt with, which resumeAll leaves to it. */
export function handledBy(wd: WatchdogReport | undefined): number[] {
  return wd ? [...wd.resumed, ...wd.gone, ...wd.failed.map((f) => f.pid)] : [];
}

/** What the capture (resumeAll) and the loader's watchdog resumed, together. */
export function mergeResumed(own: Resumed, wd: WatchdogReport | undefined): Resumed {
  if (!wd) return own;
  const uniq = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);
  const resumed = uniq([...wd.resumed, ...own.resumed]);
  const gone = uniq([...wd.gone, ...own.gone]).filter((p) => !resumed.includes(p));
  return { resumed, gone, failed: [...wd.failed, ...own.failed] };
}

/**
 * resumeAll's outcome in words, for the capture's error line and the manifest ("3 processes
 * its gate had stopped were resumed (pids 10, 11, 12)"), or undefined when it had nothing.
 */
export function describeResumed(r: Resumed): string | undefined {
  const n = r.resumed.length + r.gone.length + r.failed.length;
  if (!n) return undefined;
  const pids = (p: number[]) => `pid${p.length === 1 ? "" : "s"} ${p.join(", ")}`;
  const parts: string[] = [];
  if (r.resumed.length) {
    const k = r.resumed.length;
    parts.push(
      `${k} process${k === 1 ? "" : "es"} its gate had stopped ${k === 1 ? "was" : "were"} ` +
        `resumed (${pids(r.resumed)})`,
    );
  }
  if (r.failed.length) {
    const k = r.failed.length;
    parts.push(
      `${k} process${k === 1 ? "" : "es"} its gate had stopped could not be resumed and ` +
        `${k === 1 ? "stays" : "stay"} stopped (` +
        r.failed.map((f) => `pid ${f.pid}: ${f.error}`).join(", ") +
        "; resume with kill -CONT)",
    );
  }
  if (r.gone.length) {
    const k = r.gone.length;
    parts.push(
      `${k} process${k === 1 ? "" : "es"} its gate had stopped had ended meanwhile (${
        pids(r.gone)
      })`,
    );
  }
  return parts.join("; ");
}

/**
 * The processes in state T (stopped) that are traced (`traced`: pids seen to start and not to
 * end) or descend from one, but for `except`: after resumeAll, those the gate may have stopped
 * as the loader died, unknown to the capture, or that something else stopped.
 */
export function stoppedUnknown(traced: Iterable<number>, except: Iterable<number>): number[] {
  const parent = new Map<number, number>();
  const stopped: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const s = stat(Number(e.name));
    if (!s) continue;
    parent.set(Number(e.name), s.ppid);
    if (s.state === "T") stopped.push(Number(e.name));
  }
  const ours = new Set(traced);
  const skip = new Set(except);
  const isOurs = (pid: number) => {
    for (let p = pid, i = 0; p > 1 && i < 1000; p = parent.get(p) ?? 0, i++) {
      if (ours.has(p)) return true;
    }
    return false;
  };
  return stopped.filter((pid) => !skip.has(pid) && isOurs(pid)).sort((a, b) => a - b);
}

/** stoppedUnknown's pids in words, or undefined when there are none. */
export function describeUnknown(pids: number[]): string | undefined {
  const k = pids.length;
  if (!k) return undefined;
  return `${k} traced process${k === 1 ? " is" : "es are"} stopped with no stop of the gate's ` +
    `known to the capture (pid${k === 1 ? "" : "s"} ${pids.join(", ")}): stopped by the gate ` +
    "as the loader died, or by something else; not resumed (kill -CONT if they should run)";
}
