/**
 * `deno task capture --serve [--socket PATH]`: a resident capture. It loads the capture's code
 * once and waits on a Unix socket (0600, in a directory of root's that no one else can use);
 * each client (`capture --via PATH -- CMD`, resident_client.ts) asks it for a session, which
 * is a capture of CMD as `capture -- CMD` makes one (recorder.ts run(), same files, same
 * manifest, plus `served_by`), with what was the capture process's own for the client's: CMD
 * gets the client's stdin, stdout and stderr (the loader takes them, `--stdio-of`), its
 * environment, directory and user; the messages and the exit code go back to the client, and
 * the signals the client gets come to the session (its terminal's SIGWINCH: to the command's
 * process group). The client's terminal is CMD's stdio, not its controlling terminal (that is
 * the client's shell's session's: README, "A resident capture"). What a session pays no more: Deno's runtime
 * and module start, and V8 compiling the record path cold (reports/bench/capture.md, Session
 * 33), and the loader's load and teardown: a kept loader (kept_loader.ts), loaded at the
 * server's start with the default options, runs every session that asks for them (its traced
 * set emptied between sessions, so no event of one reaches another's recording); a session
 * with other options starts a loader of its own, and its manifest says which (`served_by`).
 *
 * Sessions run one at a time: a client that comes while one runs waits, and is told so on its
 * stderr. A connection is read from when it is accepted: only a whole request (one line, at
 * most MAX_REQUEST_BYTES, within REQUEST_DEADLINE_MS) joins the queue, so a connection that
 * says nothing holds up no one. A waiting client that gets a signal (Ctrl-C) or goes away
 * leaves the queue: no loader, no recording. Before a session starts, its client's pid must
 * still be the client's (its start time, and root's). A client that goes away mid-session
 * ends its command as a SIGTERM to the capture does. SIGINT or SIGTERM to the server: it stops
 * taking sessions, lets the one under way end (and drops those waiting), removes its socket and
 * exits.
 */
import { CliError } from "../kit/cli_error.ts";
import { stat } from "../kit/procs.ts";
import { type CaptureSignal, SIGNAL_EXIT } from "./capture_signals.ts";
import type { CaptureOptions } from "./launch.ts";
import {
  checkRequest,
  lineReader,
  MAX_REQUEST_BYTES,
  type Request,
  REQUEST_DEADLINE_MS,
  sendLine,
  type ServerLine,
  type Session,
} from "./resident_protocol.ts";
import { viaSession } from "./via_session.ts";
import { USAGE } from "./capture_args.ts";
import { run } from "./recorder.ts";
import { DEFAULT_MAX_TLS_BYTES, launch } from "./launch.ts";
import { KeptLoader, KeptLoaderGone, optionsDiffer } from "./kept_loader.ts";
import { LoaderClient, type LoaderOptions } from "./loader.ts";
import type { ResidentInfo } from "../recording/manifest.ts";
import { h2RedactorFactory } from "./h2_glue.ts";
import { locateForCapture } from "./locator_glue.ts";

/** Set to 1: the server keeps no loader, each session starts its own (as before the kept
 * loader; a benchmark's comparison). */
export const PER_SESSION_ENV = "SIGHTLINE_SERVE_LOADER_PER_SESSION";

/** The socket's directory: made 0700 if missing; else it must be root's, and no one else's to
 * use (a socket there could be replaced, or reached, by anyone who can). */
function prepareSocketDir(dir: string): void {
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CliError(`cannot make ${dir} for the socket: ${(e as Error).message}`, 1);
  }
  const st = Deno.statSync(dir);
  if (!st.isDirectory || st.uid !== 0 || ((st.mode ?? 0) & 0o077) !== 0) {
    throw new CliError(
      `${dir} must be a directory of root's that no one else can use (0700), to hold the socket`,
      1,
    );
  }
}

/** A socket already at `socket`: an error when a server answers there, else (stale) removed. */
async function clearSocket(socket: string): Promise<void> {
  let st;
  try {
    st = Deno.lstatSync(socket);
  } catch {
    return; // none
  }
  if (!st.isSocket) throw new CliError(`${socket} exists and is not a socket`, 1);
  try {
    const c = await Deno.connect({ transport: "unix", path: socket });
    c.close();
    throw new CliError(`a resident capture already serves ${socket}`, 1);
  } catch (e) {
    if (e instanceof CliError) throw e;
    Deno.removeSync(socket); // nobody listens: left by one that was killed
  }
}

/** Listens on `socket`: bound in a private directory (0700) beside it, made 0600 there, then
 * moved into place, so that it is never there with another mode. */
function listenPrivately(socket: string, dir: string): Deno.UnixListener {
  const priv = Deno.makeTempDirSync({ dir, prefix: ".bind-" });
  try {
    const listener = Deno.listen({ transport: "unix", path: `${priv}/s` });
    try {
      Deno.chmodSync(`${priv}/s`, 0o600);
      Deno.renameSync(`${priv}/s`, socket);
    } catch (e) {
      listener.close();
      throw new CliError(`cannot make the socket ${socket}: ${(e as Error).message}`, 1);
    }
    return listener;
  } finally {
    Deno.removeSync(priv, { recursive: true });
  }
}

/** A client from its connection on: its request, then its signals and its going away. */
class Client {
  /** the request, once whole and valid; rejects (one line) otherwise */
  readonly request: Promise<Request>;
  gone = false;
  /** where its signals go: the queue's (it leaves it), then its session's */
  onSignal: (s: CaptureSignal) => void = () => {};
  onGone: () => void = () => {};
  /** its terminal's size changed (SIGWINCH): its session's, for the command's group */
  onResize: () => void = () => {};
  #sending: Promise<unknown> = Promise.resolve();

  constructor(readonly conn: Deno.Conn) {
    this.request = new Promise((resolve, reject) => {
      let got = false, size = 0;
      const timer = setTimeout(() => {
        if (got) return;
        got = true;
        // (said to it, then closed: accept())
        reject(new Error(`no request within ${REQUEST_DEADLINE_MS / 1000} s of connecting`));
      }, REQUEST_DEADLINE_MS);
      const feed = lineReader((v) => {
        if (!got) {
          got = true;
          clearTimeout(timer);
          try {
            resolve(checkRequest(v));
          } catch (e) {
            reject(e);
          }
          return;
        }
        const s = (v as { signal?: string } | null)?.signal;
        if (s === "SIGINT" || s === "SIGTERM" || s === "SIGHUP") this.onSignal(s);
        else if (s === "SIGWINCH") this.onResize();
      });
      (async () => {
        const buf = new Uint8Array(1 << 16);
        try {
          for (;;) {
            const n = await conn.read(buf);
            if (n === null) break;
            size += n;
            if (!got && size > MAX_REQUEST_BYTES) {
              got = true;
              clearTimeout(timer);
              reject(new Error(`a request of more than ${MAX_REQUEST_BYTES} bytes`));
              break;
            }
            feed(buf.subarray(0, n));
          }
        } catch { /* gone */ }
        if (!got) {
          feed(null);
          if (!got) {
            got = true;
            clearTimeout(timer);
            reject(new Error("the connection closed before its request"));
          }
        }
        this.gone = true;
        this.onGone();
      })();
    });
    this.request.catch(() => {});
  }

  send(v: ServerLine): Promise<unknown> {
    return this.#sending = this.#sending.then(() => sendLine(this.conn, v));
  }

  /** Once what was sent so far is written. */
  async sent(): Promise<void> {
    await this.#sending;
  }

  /** Sends what is pending, then closes. */
  async end(): Promise<void> {
    await this.#sending;
    this.close();
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }
}

/** Serves sessions on `socket` until SIGINT or SIGTERM; returns the exit code. */
export async function serve(
  socket: string,
  log: (line: string) => void = (l) => console.error(l),
  loaderPath?: string,
): Promise<number> {
  if (Deno.uid() !== 0) {
    throw new CliError("capture --serve needs root (eBPF): run it with sudo", 1);
  }
  if (!socket.startsWith("/")) socket = `${Deno.cwd()}/${socket}`;
  const dir = socket.slice(0, socket.lastIndexOf("/")) || "/";
  prepareSocketDir(dir);
  await clearSocket(socket);
  const listener = listenPrivately(socket, dir);
  log(`sightline: resident capture (pid ${Deno.pid}) serving ${socket}`);
  // SIGHTLINE_SERVE_LOADER_PER_SESSION=1: no kept loader, a loader per session as before it
  // (what bench/overhead/resident_cpu.ts compares it with)
  const kept = Deno.env.get(PER_SESSION_ENV) === "1" ? undefined : new KeptLoader(
    { maxTlsBytes: DEFAULT_MAX_TLS_BYTES, gate: true, ipc: true },
    log,
    loaderPath,
  );
  kept?.ensure(); // loaded while no one waits (a session that comes meanwhile waits for it)

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    log("sightline: resident capture stopping (after the session under way, if any)");
    try {
      listener.close();
    } catch { /* closed */ }
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);

  let sessions = 0;
  let busy: number | undefined; // the session under way (its number)
  const waiting: { client: Client; req: Session }[] = [];
  const leave = (client: Client) => {
    const i = waiting.findIndex((w) => w.client === client);
    if (i >= 0) waiting.splice(i, 1);
    return i >= 0;
  };
  let worker: Promise<void> | undefined;
  const work = async () => {
    for (let next; (next = waiting.shift());) {
      const { client, req } = next;
      if (stopping) {
        await client.send({ error: "the resident capture stopped before this session", code: 1 });
        await client.end();
        continue;
      }
      busy = ++sessions;
      try {
        await session(client, req, { pid: Deno.pid, socket, session: busy }, kept, log);
      } catch (e) {
        log(`sightline: session ${busy}: ${(e as Error).stack ?? e}`);
      } finally {
        busy = undefined;
        client.close();
      }
    }
    worker = undefined;
  };
  const connections = new Set<Promise<unknown>>();
  const accept = async (conn: Deno.Conn) => {
    const client = new Client(conn);
    let req: Session | "help";
    try {
      // the client's command line read here, by the one parser (via_session.ts)
      req = viaSession(await client.request);
    } catch (e) {
      await client.send({ error: (e as Error).message, code: 2 });
      await client.end();
      return;
    }
    if (req === "help") {
      await client.send({ out: USAGE });
      await client.send({ end: 0 });
      await client.end();
      return;
    }
    if (client.gone) return client.close();
    // waiting: a signal or its going away takes it out of the queue (nothing started)
    client.onSignal = (s) => {
      if (!leave(client)) return;
      client.send({
        error: "interrupted while waiting for the resident capture: nothing was recorded",
        code: SIGNAL_EXIT[s],
      });
      client.end();
    };
    client.onGone = () => {
      if (leave(client)) client.close();
    };
    if (busy !== undefined || waiting.length) {
      client.send({
        log: `sightline: waiting for the resident capture's session ${busy ?? sessions + 1} to end`,
      });
    }
    waiting.push({ client, req });
    worker ??= work();
  };
  try {
    for await (const conn of listener) {
      const p = accept(conn).catch((e) => log(`sightline: ${(e as Error).stack ?? e}`));
      connections.add(p);
      p.finally(() => connections.delete(p));
    }
  } catch (e) {
    if (!stopping) throw e;
  }
  await Promise.all(connections);
  await worker;
  await kept?.stop();
  try {
    Deno.removeSync(socket);
  } catch { /* gone */ }
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  return 0;
}

/** Whether `pid` is still the client that sent `start` (its start time), and root's. */
function stillClient(pid: number, start: number): boolean {
  const s = stat(pid);
  if (!s || s.state === "Z" || Number(s.start) !== start) return false;
  try {
    return Deno.statSync(`/proc/${pid}`).uid === 0;
  } catch {
    return false;
  }
}

/**
 * A session of the kept loader `client`; if it went away just before (nothing of the session
 * ran), of a fresh kept loader, else of a loader of its own: the client told, `resident` (its
 * manifest's served_by) saying which.
 */
async function keptSession(
  kept: KeptLoader,
  client: LoaderClient,
  o: LoaderOptions,
  resident: ResidentInfo,
  send: (v: ServerLine) => Promise<unknown>,
): Promise<LoaderClient> {
  try {
    return await kept.session(client, o);
  } catch (e) {
    if (!(e instanceof KeptLoaderGone)) throw e;
  }
  const fresh = await kept.replace(client);
  if (fresh) {
    await send({
      log: `sightline: the kept loader went away before this session started; a fresh one runs it`,
    });
    resident.loader = { kept: true, pid: fresh.process.pid };
    return await kept.session(fresh, o);
  }
  const why = `the kept loader went away before this session started, and no fresh one could be ` +
    `started (${kept.failure})`;
  await send({ log: `sightline: a loader of its own for this session: ${why}` });
  resident.loader = { kept: false, why };
  return await LoaderClient.start(o);
}

/** One session: the client's command captured, its messages and exit code sent back. */
async function session(
  client: Client,
  req: Session,
  server: { pid: number; socket: string; session: number },
  kept: KeptLoader | undefined,
  log: (line: string) => void,
): Promise<void> {
  const send = (v: ServerLine) => client.send(v);
  // the client's signals go to the session's listener once it is there; a client gone
  // mid-session is a SIGTERM (its command is ended, the recording closed as it should be)
  let listener: ((s: CaptureSignal) => void) | undefined;
  let early: CaptureSignal[] = [];
  const signal = (s: CaptureSignal) => listener ? listener(s) : early.push(s);
  client.onSignal = signal;
  client.onGone = () => signal("SIGTERM");
  // a resize before the command runs needs no telling: it reads the size when it starts
  let resized: (() => void) | undefined;
  client.onResize = () => resized?.();
  if (client.gone || !stillClient(req.pid, req.start)) {
    // gone before its turn (or its pid is now another process's): nothing started for it
    log(`sightline: session ${server.session}: its client (pid ${req.pid}) has gone`);
    return;
  }
  // the kept loader when the session's options are its own (a fresh one if it died: said),
  // else a loader of its own (said)
  let why = kept
    ? optionsDiffer(kept.options, {
      maxTlsBytes: req.maxTlsBytes ?? DEFAULT_MAX_TLS_BYTES,
      gate: req.gate ?? true,
      ipc: req.ipc ?? true,
    })
    : `${PER_SESSION_ENV}=1`;
  const died = why ? undefined : kept?.takeDeath();
  if (died) await send({ log: `sightline: ${died}; this session starts a fresh one` });
  const keptClient = why ? undefined : await kept?.ensure();
  if (!why && !keptClient) why = `the kept loader could not be started (${kept?.failure})`;
  const resident: ResidentInfo = {
    ...server,
    loader: keptClient ? { kept: true, pid: keptClient.process.pid } : { kept: false, why: why! },
  };
  if (why && !req.quiet) {
    await send({ log: `sightline: a loader of its own for this session: ${why}` });
  }
  const env = req.env;
  const opts: CaptureOptions = {
    cmd: req.cmd,
    out: req.out,
    force: req.force,
    maxTlsBytes: req.maxTlsBytes,
    keepSecrets: req.keepSecrets,
    gate: req.gate,
    ipc: req.ipc,
    cacheDir: req.cacheDir,
    quiet: req.quiet,
    status: false,
    cwd: req.cwd,
    // the client's user (none: root, as the client), never this process's
    uid: req.user?.uid ?? 0,
    gid: req.user?.gid ?? 0,
    log: (line) => send({ log: line }),
    locator: locateForCapture,
    h2Redactor: h2RedactorFactory,
    served: {
      env,
      clientPid: req.pid,
      clientStart: req.start,
      resident,
      signals: (on) => {
        listener = on;
        const pending = early;
        early = [];
        pending.forEach(on);
        return () => listener = undefined;
      },
      resizes: (on) => {
        resized = on;
        return () => resized = undefined;
      },
      ...(kept && keptClient
        ? { startLoader: (o) => keptSession(kept, keptClient, o, resident, send) }
        : {}),
    },
  };
  // a command named by a relative path is the client's: looked up from its directory
  const home = Deno.cwd();
  try {
    Deno.chdir(req.cwd);
  } catch (e) {
    await send({ error: `cannot enter ${req.cwd} (${(e as Error).message})`, code: 1 });
    return;
  }
  let loader: Promise<unknown> | undefined;
  try {
    const launched = launch(opts);
    loader = launched.loader.then((l) => l.process.status);
    Deno.chdir(home);
    await send({ dir: launched.dir });
    const res = await run(opts, launched);
    await send({ end: res.exitCode });
  } catch (e) {
    if (!(e instanceof CliError)) {
      log(`sightline: session ${resident.session}: ${(e as Error).stack ?? e}`);
    }
    const msg = e instanceof CliError
      ? e.message
      : String((e as Error).message ?? e).split("\n")[0];
    await send({ error: msg, code: e instanceof CliError ? e.exitCode : 1 });
  } finally {
    Deno.chdir(home);
  }
  // the next session's loader starts once this one's is gone (its probes detached), even when
  // run() threw; the client hears the end first, and its connection closes after
  await client.sent();
  await loader?.catch(() => 0);
}
