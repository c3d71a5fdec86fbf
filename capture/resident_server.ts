/**
 * `deno task capture --serve [--socket PATH]`: a resident capture. It loads the capture's code
 * once and waits on a Unix socket (0600, in a directory of root's that nobody else can write);
 * each client (`capture --via PATH -- CMD`, resident_client.ts) asks it for a session, which
 * is a capture of CMD as `capture -- CMD` makes one (recorder.ts run(), same files, same
 * manifest, plus `served_by`), with what was the capture process's own for the client's: CMD
 * gets the client's stdin, stdout and stderr (the loader takes them, `--stdio-of`), its
 * environment, directory and user; the messages and the exit code go back to the client, and
 * the signals the client gets come to the session. What a session pays no more: Deno's runtime
 * and module start, and V8 compiling the record path cold (reports/bench/capture.md, Session
 * 33). Each session still starts a loader of its own (its verifier and attach), so no event of
 * one session can reach another's recording.
 *
 * Sessions run one at a time: a client that comes while one runs waits, and is told so on its
 * stderr. A client that goes away mid-session ends its command as a SIGTERM to the capture
 * does. SIGINT or SIGTERM to the server: it stops taking sessions, lets the one under way end,
 * removes its socket and exits.
 */
import { CliError } from "../kit/cli_error.ts";
import type { CaptureSignal } from "./capture_signals.ts";
import type { CaptureOptions } from "./launch.ts";
import {
  lineReader,
  PROTOCOL,
  type Request,
  sendLine,
  type ServerLine,
} from "./resident_protocol.ts";
import { run } from "./recorder.ts";
import { launch } from "./launch.ts";
import { h2RedactorFactory } from "./h2_glue.ts";
import { locateForCapture } from "./locator_glue.ts";

/** The socket's directory: made 0700 if missing; else it must be root's, writable by no one
 * else (a socket there could be replaced by anyone who can write it). */
function prepareSocketDir(socket: string): void {
  const dir = socket.slice(0, socket.lastIndexOf("/")) || "/";
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CliError(`cannot make ${dir} for the socket: ${(e as Error).message}`, 1);
  }
  const st = Deno.statSync(dir);
  if (!st.isDirectory || st.uid !== 0 || ((st.mode ?? 0) & 0o022) !== 0) {
    throw new CliError(
      `${dir} must be a directory of root's that no one else can write, to hold the socket`,
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

/** Serves sessions on `socket` until SIGINT or SIGTERM; returns the exit code. */
export async function serve(
  socket: string,
  log: (line: string) => void = (l) => console.error(l),
): Promise<number> {
  if (Deno.uid() !== 0) {
    throw new CliError("capture --serve needs root (eBPF): run it with sudo", 1);
  }
  if (!socket.startsWith("/")) socket = `${Deno.cwd()}/${socket}`;
  prepareSocketDir(socket);
  await clearSocket(socket);
  const listener = Deno.listen({ transport: "unix", path: socket });
  Deno.chmodSync(socket, 0o600);
  log(`sightline: resident capture (pid ${Deno.pid}) serving ${socket}`);

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
  let queue: Promise<void> = Promise.resolve();
  try {
    for await (const conn of listener) {
      const n = ++sessions;
      if (busy !== undefined) {
        sendLine(
          conn,
          {
            log: `sightline: waiting for the resident capture's session ${busy} to end`,
          } satisfies ServerLine,
        );
      }
      queue = queue.then(async () => {
        busy = n;
        try {
          await session(conn, { pid: Deno.pid, socket, session: n });
        } catch (e) {
          log(`sightline: session ${n}: ${(e as Error).stack ?? e}`);
        } finally {
          busy = undefined;
          try {
            conn.close();
          } catch { /* closed */ }
        }
      });
    }
  } catch (e) {
    if (!stopping) throw e;
  }
  await queue;
  try {
    Deno.removeSync(socket);
  } catch { /* gone */ }
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  return 0;
}

/** Reads the client's request: its first line (null when it sent none, or not one). */
function readRequest(
  conn: Deno.Conn,
  onSignal: (s: CaptureSignal) => void,
  onGone: () => void,
): Promise<Request | null> {
  return new Promise((resolve) => {
    let got = false;
    const feed = lineReader((v) => {
      if (!got) {
        got = true;
        const r = v as Request | null;
        resolve(r && r.v === PROTOCOL && Array.isArray(r.cmd) && r.cmd.length ? r : null);
        return;
      }
      const s = (v as { signal?: string } | null)?.signal;
      if (s === "SIGINT" || s === "SIGTERM" || s === "SIGHUP") onSignal(s);
    });
    (async () => {
      const buf = new Uint8Array(1 << 16);
      try {
        for (;;) {
          const n = await conn.read(buf);
          if (n === null) break;
          feed(buf.subarray(0, n));
        }
      } catch { /* gone */ }
      feed(null);
      if (!got) resolve(null);
      onGone();
    })();
  });
}

/** One session: the client's command captured, its messages and exit code sent back. */
async function session(
  conn: Deno.Conn,
  resident: { pid: number; socket: string; session: number },
): Promise<void> {
  let sending: Promise<unknown> = Promise.resolve();
  const send = (v: ServerLine) => sending = sending.then(() => sendLine(conn, v));
  // the client's signals go to the session's listener once it is there; a client gone
  // mid-session is a SIGTERM (its command is ended, the recording closed as it should be)
  let listener: ((s: CaptureSignal) => void) | undefined;
  let early: CaptureSignal[] = [];
  const signal = (s: CaptureSignal) => listener ? listener(s) : early.push(s);
  let clientGone = false;
  const req = await readRequest(conn, signal, () => {
    if (!clientGone) signal("SIGTERM");
    clientGone = true;
  });
  if (!req) {
    await send({ error: "not a request of this version of capture --via", code: 2 });
    return;
  }
  const env = req.env;
  const uid = env.SUDO_UID ? Number(env.SUDO_UID) : undefined;
  const gid = env.SUDO_GID ? Number(env.SUDO_GID) : undefined;
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
    uid,
    gid,
    log: (line) => send({ log: line }),
    locator: locateForCapture,
    h2Redactor: h2RedactorFactory,
    served: {
      env,
      clientPid: req.pid,
      resident,
      signals: (on) => {
        listener = on;
        const pending = early;
        early = [];
        pending.forEach(on);
        return () => listener = undefined;
      },
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
  let loaderExit: Promise<number> | undefined;
  try {
    const launched = launch(opts);
    Deno.chdir(home);
    await send({ dir: launched.dir });
    const res = await run(opts, launched);
    loaderExit = res.loaderExit;
    await send({ end: res.exitCode });
  } catch (e) {
    const msg = e instanceof CliError ? e.message : (e as Error).stack ?? String(e);
    await send({ error: msg, code: e instanceof CliError ? e.exitCode : 1 });
  } finally {
    Deno.chdir(home);
  }
  await sending;
  // the next session's loader starts once this one's is gone (its probes detached)
  await loaderExit?.catch(() => 0);
}
