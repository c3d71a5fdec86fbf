/**
 * Samples the capture's own processes from /proc while a run goes on: the `deno` capture
 * process (found by a unique string in its command line) and the `sightline-loader` it starts.
 * Keeps each one's peak RSS (VmHWM, a high-water mark the kernel keeps, so sampling cannot
 * miss the peak before the last sample) and its CPU time (utime+stime) at the last sample.
 */
import { stat } from "../../kit/procs.ts";

export interface ProcStats {
  pid: number;
  peakRssKb: number;
  cpuMs: number;
}

export interface CaptureProcStats {
  deno?: ProcStats;
  loader?: ProcStats;
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** utime+stime in ms and VmHWM in KiB of a live process; undefined once it is gone. */
export function procStats(pid: number): ProcStats | undefined {
  const s = stat(pid);
  const status = readText(`/proc/${pid}/status`);
  if (!s || !status) return undefined;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
  if (!hwm) return undefined; // a zombie has no memory left to report
  return { pid, peakRssKb: Number(hwm[1]), cpuMs: s.cpuMs };
}

function findByCmdline(needle: string): number | undefined {
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const cmd = readText(`/proc/${e.name}/cmdline`);
    if (cmd?.includes(needle) && cmd.split("\0")[0].endsWith("deno")) return Number(e.name);
  }
  return undefined;
}

/** A child of `pid` whose comm is `comm` (comm is cut at 15 characters). */
export function childNamed(pid: number, comm: string): number | undefined {
  for (
    const t of (() => {
      try {
        return [...Deno.readDirSync(`/proc/${pid}/task`)];
      } catch {
        return [];
      }
    })()
  ) {
    const kids = readText(`/proc/${pid}/task/${t.name}/children`)?.trim().split(/\s+/) ?? [];
    for (const k of kids) {
      if (k && stat(Number(k))?.comm === comm) return Number(k);
    }
  }
  return undefined;
}

/** Starts sampling every `intervalMs`; `stop()` returns the last values seen. */
export function sampleCapture(
  cmdlineNeedle: string,
  intervalMs = 200,
  /** called once both are found and the loader has started the command */
  onFound?: (denoPid: number, loaderPid: number) => void,
): { stop(): CaptureProcStats } {
  const out: CaptureProcStats = {};
  let denoPid: number | undefined;
  let loaderPid: number | undefined;
  let told = false;
  const tick = () => {
    denoPid ??= findByCmdline(cmdlineNeedle);
    if (denoPid !== undefined) {
      loaderPid ??= childNamed(denoPid, "sightline-loade");
      out.deno = procStats(denoPid) ?? out.deno;
    }
    if (loaderPid !== undefined) {
      out.loader = procStats(loaderPid) ?? out.loader;
      if (!told && onFound && readText(`/proc/${loaderPid}/task/${loaderPid}/children`)?.trim()) {
        told = true;
        onFound(denoPid!, loaderPid);
      }
    }
  };
  const timer = setInterval(tick, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return out;
    },
  };
}
