/**
 * The manifest of a capture: its start (command, host, kernel, options), what each flush adds
 * (tables, attach report, io_uring counts, blind spots) and its end (times, the command's exit,
 * what went wrong, and the exit code `deno task capture` leaves with). Plain functions over the
 * manifest object; the record sink and the session (recorder.ts) fill in the rest.
 */
import type { CaptureOptions, Launched } from "./launch.ts";
import { type Manifest, nsToIso, TOOL_NAME, TOOL_VERSION } from "../recording/manifest.ts";
import { blindSpotsOf, type KernelHooks, uringNotDecoded } from "../recording/blind_spots.ts";
import { ARGV_KEEP, waitStatus } from "./events.ts";
import type { SinkState } from "./record_sink.ts";
import { type CaptureSignal, interruptedStart, SIGNAL_EXIT } from "./capture_signals.ts";

/** The manifest as a capture starts: not complete, nothing recorded yet. */
export function startManifest(
  opts: CaptureOptions,
  started: Pick<Launched, "cwd" | "uid" | "gate" | "ipc" | "maxTlsBytes">,
  startNs: bigint,
): Manifest {
  const { cwd, uid, gate, ipc, maxTlsBytes } = started;
  return {
    format: "sightline-recording",
    format_version: 1,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    complete: false,
    mode: opts.cmd ? "command" : opts.pids?.length ? "pid" : "comm",
    command: opts.cmd ?? null,
    target_pids: opts.pids ?? [],
    target_comm: opts.comm ?? null,
    cwd,
    uid: uid ?? Deno.uid() ?? 0,
    host: Deno.hostname(),
    kernel: Deno.osRelease(),
    namespaces: { net: ownNamespace("net"), mnt: ownNamespace("mnt") },
    started_at: nsToIso(startNs),
    started_ns: String(startNs),
    ended_at: null,
    ended_ns: null,
    exit_code: null,
    exit_signal: null,
    root_pid: null,
    options: { max_tls_bytes: maxTlsBytes, keep_secrets: opts.keepSecrets ?? false, gate, ipc },
    tables: {},
    tls_bytes: 0,
    drops: {},
    exec_argv: { max_bytes: ARGV_KEEP, cut: 0, lost: 0, lost_bytes: 0 },
    missed_runs: 0,
    gated_processes: 0,
    attach: { hooked: [], not_hooked: [], unresolved: [] },
    warnings: [],
    errors: [],
    ...(opts.served ? { served_by: opts.served.resident } : {}),
  };
}

/** This process's namespace of `kind` by inode number (`net:[4026531840]`), null if unreadable. */
export function ownNamespace(kind: "net" | "mnt"): number | null {
  try {
    const m = /^\w+:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/self/ns/${kind}`));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** What the record sink holds now, and the kernel's hooks (as far as probed), into the manifest. */
export function refreshManifest(manifest: Manifest, sink: SinkState, kernelHooks: KernelHooks) {
  Object.assign(manifest.tables, sink.tables);
  manifest.attach = sink.attach ?? manifest.attach;
  manifest.io_uring = {
    ...sink.uring,
    not_decoded: uringNotDecoded(sink.uring),
    no_completion: sink.noCompletion,
  };
  manifest.blind_spots = blindSpotsOf(sink.uring, sink.uringAttached, kernelHooks);
  const { cut, lost, lostBytes } = sink.argv;
  manifest.exec_argv = { max_bytes: ARGV_KEEP, cut, lost, lost_bytes: lostBytes };
}

/** How a capture ended. */
export interface CaptureEnd {
  /** the command's exec errno (0: it ran) and wait status, from the loader */
  execErrno: number;
  childStatus?: number;
  /** what writing the recording failed to write, and why: one line (recorder.ts diskLoss) */
  writeError?: string;
  /** why the loader's stream ended before its time (recorder.ts loaderLost) */
  lost?: string;
  /** the signal that interrupted the capture's start (the command was never released) */
  interrupted?: CaptureSignal;
}

/**
 * Ends the manifest: times, the command's exit code or signal, the errors, whether the
 * recording is complete (not when a write failed, the loader's stream was lost, or the start
 * was interrupted: a recording whose command never ran, or whose processes were never
 * followed, is not the recording that was asked for). Returns the exit code of the capture: the command's (127 not found,
 * 126 not executable, 128+N killed by signal N), or 1 for a capture error after a clean exit;
 * for a start interrupted by a signal, 128 + its number, and an error that says so (the
 * command never ran: no exit code or signal of its own, whatever ended what was forked for it).
 */
export function endManifest(
  manifest: Manifest,
  end: CaptureEnd,
  endNs: bigint,
): number {
  const { execErrno, childStatus, writeError, lost, interrupted } = end;
  manifest.ended_at = nsToIso(endNs);
  manifest.ended_ns = String(endNs);
  let exitCode = 0;
  if (interrupted) {
    manifest.errors.push(interruptedStart(interrupted, !!manifest.command));
    exitCode = SIGNAL_EXIT[interrupted];
  } else if (execErrno) {
    const what = execErrno === 2 ? "command not found" : `cannot execute (errno ${execErrno})`;
    manifest.errors.push(`${manifest.command?.[0]}: ${what}`);
    exitCode = execErrno === 2 ? 127 : 126;
  } else if (childStatus !== undefined && childStatus >= 0) {
    const { code, signal } = waitStatus(childStatus);
    manifest.exit_code = code;
    manifest.exit_signal = signal;
    exitCode = code ?? 128 + (signal ?? 0);
  }
  if (writeError) {
    manifest.errors.push(writeError);
    exitCode = exitCode || 1;
  }
  if (lost) {
    manifest.errors.push(
      lost +
        (manifest.command && manifest.root_pid
          ? `; the command (pid ${manifest.root_pid}) was ended, as nothing recorded it any more`
          : ""),
    );
    exitCode = exitCode || 1;
  }
  manifest.complete = !writeError && !lost && !interrupted;
  return exitCode;
}
