/**
 * A capture from start to end, the session: takes over from launch() (which checked the
 * machine and started the loader), starts the manifest (manifest_builder.ts) and the record
 * sink (record_sink.ts, decoded records → rows, testable without root from a recorded loader
 * stream), hooks the TLS libraries, launches (or joins) the traced processes, flushes every
 * second (live_flush.ts), answers signals (capture_signals.ts), and ends with the manifest,
 * the summary and the exit code. run() is the session's order of steps; each step that is
 * more than a few lines is a function of its own (connecting the loader, answering signals,
 * resuming what a lost loader left stopped, closing the recording). ipc.arrow (pipes and unix
 * sockets carrying JSON-RPC) is written unless --no-ipc.
 */
import { showLines } from "../kit/control_chars.ts";
import {
  attachFailureWarning,
  AttachManager,
  notKnownWarning,
  preattachCandidates,
  runningCodeFiles,
  tracedNow,
} from "./attach.ts";
import {
  cacheWarning,
  type CaptureCaches,
  captureCaches,
  readNothingToHook,
  saveNothingToHook,
} from "./inspect_cache.ts";
import { type LoaderClient, LoaderError } from "./loader.ts";
import { joinedRows } from "./joined_rows.ts";
import { type CaptureOptions, launch, type Launched } from "./launch.ts";
import { CliError } from "../kit/cli_error.ts";
import { type Manifest, MANIFEST_FILE, writeManifest } from "../recording/manifest.ts";
import {
  dropManifestRoom,
  RESERVE_FILE,
  writeManifestInReserve,
} from "../recording/manifest_reserve.ts";
import { CAPTURE_TABLES, OPTIONAL_TABLES } from "../recording/schema.ts";
import { UNKNOWN_HOOKS } from "../recording/blind_spots.ts";
import { probeKernelHooks } from "./kernel_hooks.ts";
import { summary } from "./status.ts";
import { phase } from "./phase_log.ts";
import { alive, procOf, stat } from "../kit/procs.ts";
import { RecordSink } from "./record_sink.ts";
import { endManifest, refreshManifest, startManifest } from "./manifest_builder.ts";
import { LiveFlush, sleep } from "./live_flush.ts";
import {
  describeResumed,
  describeUnknown,
  GateStops,
  handledBy,
  mergeResumed,
  stoppedUnknown,
} from "./gate_stops.ts";
import { describeWatchdog } from "./watchdog_report.ts";
import {
  type CaptureSignal,
  exitSignal,
  interruptedStart,
  type SignalSource,
  watchSignals,
} from "./capture_signals.ts";

export { type CaptureOptions, DEFAULT_MAX_TLS_BYTES } from "./launch.ts";

/** How long a loader that died is given for its watchdog's report (it closes the gate, waiting
 * up to a second for the stops under way, then resumes: milliseconds, as a rule). */
const WATCHDOG_WAIT_MS = 3000;

export interface CaptureResult {
  dir: string;
  manifest: Manifest;
  /**
   * The loader detaches its probes after it has delivered everything (tens of milliseconds:
   * one grace period); this settles when it is gone (tests wait for it, the CLI not).
   */
  loaderExit: Promise<number>;
  /** what `deno task capture` exits with: the command's code, or 1 on a capture error */
  exitCode: number;
}

/**
 * Runs a capture to its end. `launched` is what launch() started (main.ts calls it before it
 * loads this module); without it, run launches here.
 */
export async function run(opts: CaptureOptions, launched?: Launched): Promise<CaptureResult> {
  const started = launched ?? launch(opts);
  try {
    return await session(opts, started);
  } finally {
    started.signals.remove();
  }
}

/**
 * run()'s order of steps. A signal before the command is released (while the loader loads,
 * or the files the command runs are located) interrupts the start: the loader is asked to stop
 * (it kills and reaps the command it forked and never released), nothing more is started, and
 * the recording ends with an error that says so (exit code 128 + the signal's number); a
 * signal after that forces the end (the loader and the command are killed).
 */
async function session(opts: CaptureOptions, started: Launched): Promise<CaptureResult> {
  const { dir, reused, maxTlsBytes } = started;
  phase("run");
  // what it says names processes and files the command chose (a comm holding ESC]52;): shown
  // with their controls (and \r) as escapes, never acting on the terminal; the manifest keeps
  // them exact
  const given = opts.log ?? ((l: string) => console.error(l));
  const log = (l: string) => given(showLines(l));
  if (reused) removeRecordingFiles(dir);

  const manifest = startManifest(opts, started, BigInt(Date.now()) * 1_000_000n);
  const caches = captureCaches(opts.cacheDir);
  // what the gate stopped and the loader has not answered for: resumed here should it die
  const gateStops = new GateStops();
  let sink: RecordSink, written: string; // (the manifest as written at the start)
  try {
    sink = new RecordSink({
      dir,
      maxTlsBytes,
      ipc: started.ipc,
      keepSecrets: opts.keepSecrets,
      h2Redactor: opts.h2Redactor,
      pids: opts.pids,
      gateStops,
    }, manifest);
    written = writeManifest(dir, manifest);
  } catch (e) {
    // no room (or no right) to start the recording: one line, and no files that look like one
    removeRecordingFiles(dir);
    const msg = (e as Error).message;
    throw new CliError(
      `${msg.startsWith(`${dir}/`) ? msg : `${dir}: ${msg}`}; nothing was recorded`,
      1,
    );
  }
  // the hooks this kernel offers that the capture does not use, for the blind spots
  let kernelHooks = UNKNOWN_HOOKS;
  let probed = false;
  const hooksProbed = probeKernelHooks().then((h) => {
    kernelHooks = h;
    probed = true;
  });
  const refresh = () => refreshManifest(manifest, sink.state(), kernelHooks);
  // the flush every second once the loader runs; room for the last manifest from now on,
  // should the disk fill up
  const live = new LiveFlush({ dir, manifest, sink, refresh, written });

  // The runtime sets its timer up on first use (1-5 ms): done now, while the loader loads
  // its programs, rather than between its ready and the command's release (see live_flush.ts sleep()).
  sleep(0);

  // ---- start the loader
  const { loader, attach, preattached, preknown } = await connectLoader(
    opts,
    started,
    sink,
    manifest,
    caches,
  );
  // A command started here need not wait for these: the gate holds it at the exec or mapping
  // of a file until the file is hooked (the same promise), and the loader's TLS programs may
  // still be loading. Without the gate, or for processes already running, they are awaited.
  if (!opts.cmd || !started.gate) {
    await Promise.race([preattached, started.signals.interruption]);
    phase(started.signals.interrupted() ? "interrupted while preattaching" : "preattached");
  }

  // ---- the flush every second, the live status, signals
  const interactive = Deno.stdin.isTerminal() && !!opts.cmd;
  const showStatus = !opts.quiet &&
    (opts.status ?? (Deno.stderr.isTerminal() && !interactive));
  if (!opts.quiet && Deno.stderr.isTerminal()) {
    log(`sightline: recording to ${dir}` + (showStatus ? "" : " (live status: --status)"));
  }
  live.start(showStatus);

  // (no await from the check to the `go`: a signal after it is the running command's)
  const interrupted = started.signals.interrupted();
  const signals = interrupted
    ? { remove() {}, forced: () => started.signals.forced() }
    : answerSignals(opts, manifest, loader, log, started.signals.source);

  if (interrupted) phase(`start interrupted (${interrupted})`);
  else if (opts.cmd) {
    phase("go");
    await loader.command("go");
    phase("command released", true);
  } else phase("joined");

  // ---- wait for the end
  await loader.done;
  // answered before the stream ends; an interrupted start does not wait for a slow locate
  if (!interrupted) await preattached.catch(() => {});
  await preknown.catch(() => 0);
  phase("stream ended", true);
  const unsaved = saveNothingToHook(
    attach?.nothingToHook ?? [],
    caches?.inspect,
    attach?.goneFromList,
  );
  // (an interrupted start: the loader's exit status tells, as without a command)
  let lost = signals.forced() ? undefined : await loaderLost(
    loader,
    opts.cmd && !interrupted ? sink.childStatus !== undefined : undefined,
  );
  if (lost || signals.forced()) {
    const said = await resumeStopped(loader, signals.forced(), gateStops, sink, manifest);
    if (said && lost) lost = `${lost}; ${said}`;
    else if (said) manifest.warnings.push(`the capture's loader was killed; ${said}`);
  }
  loader.closeWatchdog(); // (read above if the loader died)
  if ((lost || (interrupted && signals.forced())) && opts.cmd && manifest.root_pid) {
    await endOrphan(manifest.root_pid);
  }
  await sink.settled();
  attach?.close(!!interrupted); // (its gate stops all answered)
  live.stop();
  signals.remove();

  return await closeRecording(opts, {
    dir,
    manifest,
    sink,
    attach,
    loader,
    lost,
    unsaved,
    interrupted,
    log,
    hooksProbed: async () => {
      // the probe takes milliseconds (long done by now, so no timer); a kernel that hangs it
      // leaves the hooks "not probed"
      if (!probed) await Promise.race([hooksProbed, sleep(5000)]);
    },
    refresh,
  });
}

/**
 * The capture's answers to signals while it runs (capture_signals.ts says which signal is
 * which): an interrupt passed on to the command, the end asked of the loader, and, for a
 * signal more than the capture needs (a second SIGTERM or SIGHUP, a third SIGINT), forced:
 * the command it started and the loader are killed; the files keep what was flushed.
 * `forced()`: whether it was.
 */
function answerSignals(
  opts: CaptureOptions,
  manifest: Manifest,
  loader: LoaderClient,
  log: (line: string) => void,
  source: SignalSource,
): { remove(): void; forced(): boolean } {
  // The command, named by its pid and its start time, taken now: it is forked and held, not
  // yet released, so the pid is surely its. A signal is sent to its pid (or group) only while
  // the pid is still this process (a zombie too: its group may live on); once the loader has
  // reaped it, the pid may be another's, which must not get the command's signals. (/proc's
  // start time is read just before the kill: a pid reused in those microseconds would be
  // missed; the kernel does not give a pid that is still a process group's id to a new
  // process, so the group's id is reused only once its last member has gone.)
  const rootProc = opts.cmd && manifest.root_pid ? procOf(manifest.root_pid) : null;
  const isRoot = (pid: number | null) =>
    !!pid && !!rootProc && rootProc.pid === pid && stat(pid)?.start === rootProc.start;
  let forced = false;
  const force = () => {
    forced = true;
    for (
      const kill of [
        () => isRoot(manifest.root_pid) && Deno.kill(manifest.root_pid!, "SIGKILL"),
        () => loader.process.kill("SIGKILL"),
      ]
    ) {
      try {
        kill();
      } catch { /* already gone */ }
    }
  };
  // A terminal's Ctrl-C goes to its foreground job: the command in a group of its own, never
  // the capture. A SIGINT that reached the capture then was sent to it alone: passed on to the
  // command's group, as Ctrl-C would have. Without a terminal the command shares the
  // capture's group: a SIGINT to the group (Ctrl-C, a supervisor) reached it too, one to the
  // capture's pid did not; which one this was cannot be told, so it is said.
  const toCommandGroup = (signal: Deno.Signal): boolean => {
    const root = manifest.root_pid;
    const own = root && isRoot(root) ? stat(root)?.pgrp : undefined;
    if (!root || own !== root || own === stat(Deno.pid)?.pgrp) return false;
    try {
      Deno.kill(-root, signal);
    } catch { /* gone */ }
    return true;
  };
  const interruptCommand = () => {
    const root = manifest.root_pid;
    if (toCommandGroup("SIGINT")) return;
    log(
      `sightline: interrupt left to the command${root ? ` (pid ${root})` : ""}, which shares ` +
        "the capture's process group; another one ends it and the capture",
    );
  };
  const signals = watchSignals(
    !!opts.cmd,
    {
      interrupt: interruptCommand,
      end: () => loader.process.kill("SIGTERM"),
      stop: () => loader.stop(),
      force,
    },
    opts.signal,
    source,
  );
  // a session's client at a terminal: its resizes, as the kernel tells a terminal's foreground
  // group (the command's group when it is one of its own: a session's command always is)
  const unresize = opts.served?.resizes?.(() => toCommandGroup("SIGWINCH"));
  return {
    remove: () => {
      signals.remove();
      unresize?.();
    },
    forced: () => forced,
  };
}

/** What the end of a capture closes: run()'s state once the loader's stream has ended. */
interface Ending {
  dir: string;
  manifest: Manifest;
  sink: RecordSink;
  attach: AttachManager;
  loader: LoaderClient;
  /** why the loader's stream ended before its time, if it did */
  lost: string | undefined;
  /** the nothing-to-hook cache could not be saved: why */
  unsaved: string | undefined;
  /** the signal that interrupted the start, if one did */
  interrupted: CaptureSignal | undefined;
  log: (line: string) => void;
  /** settles once the kernel's hooks are probed (or the probe is given up) */
  hooksProbed: () => Promise<void>;
  /** brings the manifest up to date with the sink's counts and the kernel's hooks */
  refresh: () => void;
}

/**
 * Closes the recording: the sink's last rows, the warnings of the end (files the gate could
 * not be told of, a cache not written, the inspection worker, a disk that refused rows for a
 * while), the manifest's end and exit code, the last manifest (into the room kept for it when
 * the disk is full), the summary; a write error, a command that could not be run or a lost
 * loader ends as a CliError with the exit code.
 */
async function closeRecording(opts: CaptureOptions, c: Ending): Promise<CaptureResult> {
  const { dir, manifest, sink, attach, loader, lost, unsaved, interrupted, log } = c;
  await opts.h2Redactor?.ready?.();
  sink.finish();
  const { execErrno } = sink;
  // files the gate could not be told of: it stopped each of their uses again (slower, said)
  const notKnown = notKnownWarning(attach?.notKnown() ?? []);
  if (notKnown) manifest.warnings.push(notKnown);
  // TLS libraries whose data hooks failed to attach: their plaintext is missing (a problem row)
  const unattached = attachFailureWarning(attach?.entries ?? []);
  if (unattached) manifest.warnings.push(unattached);
  // a cache that could not be written: later captures are slower, this one lost nothing
  const uncached = attach?.cacheError() ?? unsaved;
  if (uncached) manifest.warnings.push(cacheWarning(uncached));
  const workerFailed = attach?.workerWarning();
  if (workerFailed) manifest.warnings.push(workerFailed);
  const trouble = sink.diskTrouble();
  const writeError = sink.writeError;
  if (trouble && !writeError) {
    manifest.warnings.push(
      `the disk refused the recording for a while (${trouble.error}); what was held in memory ` +
        "meanwhile was written once it had room: no rows were lost",
    );
  }
  const exitCode = endManifest(manifest, {
    execErrno,
    childStatus: sink.childStatus,
    writeError,
    lost,
    interrupted,
  }, BigInt(Date.now()) * 1_000_000n);
  await c.hooksProbed();
  c.refresh();
  let manifestError: string | undefined;
  try {
    writeManifest(dir, manifest);
  } catch {
    try {
      writeManifestInReserve(dir, manifest); // the disk is full: the room kept for it
    } catch (e) {
      manifestError = (e as Error).message;
      manifest.errors.push(`writing manifest.json failed: ${manifestError}`);
    }
  }
  dropManifestRoom(dir);
  phase("recording closed");
  // an interrupted start: one line (below), not the summary of a recording of nothing
  if (!opts.quiet && !interrupted) log(summary(dir, manifest));
  if (writeError || execErrno) await loader.process.status;
  if (writeError) {
    throw new CliError(
      `${dir}: ${writeError}; ` + (manifestError
        ? `manifest.json could not be written either (${manifestError}); `
        : "manifest.json counts them; ") +
        "the rows written before stay readable",
      exitCode || 1,
    );
  }
  if (interrupted) {
    await loader.process.status; // (it has ended, or ends now: nothing is left running)
    const said = lost ? `; ${lost}` : "";
    throw new CliError(`${interruptedStart(interrupted, !!opts.cmd)}${said} (${dir})`, exitCode);
  }
  if (execErrno) throw new CliError(manifest.errors.at(-1)!, exitCode);
  if (lost) {
    throw new CliError(
      `${manifest.errors.at(-1)}; what arrived before stays readable in ${dir}`,
      exitCode,
    );
  }
  return { dir, manifest, exitCode, loaderExit: loader.process.status.then((s) => s.code) };
}

/**
 * After a loader that died without its end (or was killed, `forced`): what its gate stopped
 * and it did not resume stays stopped unless resumed here, once it has exited (its programs
 * are detached with its descriptors, so nothing stops them again). Its watchdog resumes them
 * all, those whose stop never reached us included, and says so; any still stopped (no
 * watchdog's report, or stopped by something else) are told, not resumed. Returns what to say
 * of it ("" for nothing).
 */
async function resumeStopped(
  loader: LoaderClient,
  forced: boolean,
  gateStops: GateStops,
  sink: RecordSink,
  manifest: Manifest,
): Promise<string> {
  if (forced) await loader.process.status;
  const wd = await loader.watchdogReport(WATCHDOG_WAIT_MS);
  const known = gateStops.pending();
  const r = mergeResumed(gateStops.resumeAll(handledBy(wd)), wd);
  const traced = [...sink.running(), ...(manifest.root_pid ? [manifest.root_pid] : [])];
  const unknown = stoppedUnknown(traced, r.resumed);
  return [describeResumed(r), describeWatchdog(wd, known), describeUnknown(unknown)]
    .filter(Boolean).join("; ");
}

/** The loader connected and ready, and the hooking that goes on while the command starts. */
interface Connected {
  loader: LoaderClient;
  attach: AttachManager;
  /** the files hooked before the command runs (joining processes: also the code they run) */
  preattached: Promise<unknown>;
  /** how many files earlier captures found nothing to hook in (let through the gate) */
  preknown: Promise<number>;
}

/**
 * Connects to the loader launch() started, feeds its records to the sink, and starts hooking
 * (what the command will run, or what the joined processes run) while it gets ready. A loader
 * that fails on the way ends the capture: the manifest says why, and a CliError (exit code 1)
 * says it in one line.
 */
async function connectLoader(
  opts: CaptureOptions,
  started: Launched,
  sink: RecordSink,
  manifest: Manifest,
  caches: CaptureCaches | undefined,
): Promise<Connected> {
  let loader: LoaderClient | undefined;
  let attach: AttachManager | undefined;
  try {
    const connected = loader = await started.loader;
    // a signal before the command's release: the loader is asked to stop (at once, or once it
    // is ready: it reads commands from then on), and killed at the next one, with the command
    // it forked (it would end by itself without its loader, when its `go` pipe closes)
    started.signals.onInterrupt(() => void connected.stop(), () => {
      for (const pid of [manifest.root_pid, connected.process.pid]) {
        try {
          if (pid) Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
    });
    loader.listen(sink.push);
    phase("loader connected");
    const attaching = attach = new AttachManager(loader, opts.locator, caches);
    sink.attachTo(attaching);
    // Files earlier captures found nothing to hook in are let through the gate: its stops are
    // for what may need hooking (a round trip each, at every tool run once per capture).
    let preknown: Promise<number> = Promise.resolve(0);
    if (started.gate) {
      preknown = attaching.preknown(readNothingToHook(caches?.inspect));
      preknown.then((n) => phase(`${n} files known from earlier captures`), () => {});
    }
    // Hook what we know about before the command runs (the gate covers the rest). The files
    // are inspected while the loader still loads its programs; its commands wait in the socket
    // until it is ready.
    let preattached: Promise<unknown> = Promise.all(
      preattachCandidates(started.cmdPath).map((p) => attaching.ensure(p, "preattach")),
    );
    preattached.catch(() => {}); // awaited by run(), once the loader is ready
    await loader.ready;
    phase("loader ready");
    if (!opts.cmd) {
      // joined processes: the code they mapped before the capture, which no gate report names
      // (of every process the kernel side traces once the loader is ready: those it joined and
      // their descendants, one list for both)
      let traced: number[] = [];
      try {
        traced = await tracedNow(loader);
      } catch (e) {
        manifest.errors.push(
          `${(e as Error).message}: the code the joined processes mapped before the capture ` +
            "was not inspected, and TLS inside it is not read",
        );
      }
      // what each runs, which no exec row says (its exec came before the capture)
      sink.joined(joinedRows(traced, BigInt(manifest.started_ns)));
      const running = runningCodeFiles(traced).map((p) => attaching.ensure(p, "running"));
      preattached = Promise.all([preattached, ...running]);
      preattached.catch(() => {});
    }
    return { loader, attach: attaching, preattached, preknown };
  } catch (e) {
    sink.abandon();
    attach?.close();
    loader?.closeWatchdog();
    const msg = e instanceof LoaderError ? e.message : (e as Error).message;
    // A loader killed by SIGINT, SIGTERM or SIGHUP before it connected (it takes them from
    // then on) was killed with the capture: a terminal's Ctrl-C reaches its whole foreground
    // job, the loader too in the instant after its exec, and the capture may hear of its death
    // before its own signal. An interrupted start, by that signal; nothing of the loader is left.
    const killedBy = !loader && e instanceof LoaderError ? exitSignal(e.exitCode) : undefined;
    const interrupted = started.signals.interrupted() ?? killedBy;
    if (interrupted) {
      // a start interrupted, then forced (the loader killed before it was ready), or one whose
      // loader failed meanwhile: the manifest ends as an interrupted start's does
      if (loader) await loader.process.status;
      const lost = started.signals.forced() || killedBy === interrupted ? undefined : msg;
      const code = endManifest(
        manifest,
        { execErrno: 0, lost, interrupted },
        BigInt(Date.now()) * 1_000_000n,
      );
      writeManifest(started.dir, manifest);
      const said = lost ? `; ${lost}` : "";
      throw new CliError(
        `${interruptedStart(interrupted, !!opts.cmd)}${said} (${started.dir})`,
        code,
      );
    }
    manifest.errors.push(msg);
    writeManifest(started.dir, manifest);
    throw new CliError(msg, 1);
  }
}

/** Removes the files of a recording from `dir` (those there: a reused --out, a failed start). */
function removeRecordingFiles(dir: string): void {
  const files = [
    ...[...CAPTURE_TABLES, ...OPTIONAL_TABLES].map((t) => `${t.name}.arrow`),
    MANIFEST_FILE,
    RESERVE_FILE,
  ];
  for (const f of files) {
    try {
      Deno.removeSync(`${dir}/${f}`);
    } catch { /* not there */ }
  }
}

/**
 * Why the loader's stream ended before its time, or undefined when it ended as it should.
 * `commandReported`: with a command, whether the loader reported its end (it always does
 * before it closes the stream); undefined without one (--pid, --comm), where the loader's exit
 * status tells. The usual end with a command does not wait for the loader's teardown.
 */
async function loaderLost(
  loader: LoaderClient,
  commandReported: boolean | undefined,
): Promise<string | undefined> {
  if (commandReported && loader.fatal.length === 0) return undefined;
  const st = await loader.process.status;
  if (commandReported !== false && st.success) return undefined;
  const how = st.signal !== null ? `was killed by ${st.signal}` : `exited with code ${st.code}`;
  const why = loader.fatal.at(-1);
  return `the capture's loader ${how} before the end${why ? ` (${why})` : ""}`;
}

/**
 * Ends a command that outlived its loader: SIGTERM to it (and its group), with SIGCONT so that
 * a stopped one acts on it, SIGKILL after 2 s.
 */
async function endOrphan(pid: number): Promise<void> {
  const send = (sig: Deno.Signal) => {
    for (const target of [-pid, pid]) {
      try {
        Deno.kill(target, sig);
      } catch { /* not a group leader, or gone */ }
    }
  };
  const proc = procOf(pid);
  const gone = () => !proc || !alive(proc);
  send("SIGTERM");
  send("SIGCONT");
  for (let i = 0; i < 20 && !gone(); i++) await sleep(100);
  if (!gone()) send("SIGKILL");
}
