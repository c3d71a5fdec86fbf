/**
 * A resident capture's kept loader (`capture --serve`, resident_server.ts): one
 * `sightline-loader --serve-sock` loaded once (its programs verified, its tracepoints attached)
 * that runs the server's sessions one after another (bpf/loader.c, "Sessions"), so a session
 * no longer pays a loader's start and teardown. A session gets it when it asks for the options
 * it was loaded with (--max-tls-bytes, the gate, ipc are fixed at its load: the verifier prunes
 * on them); a session that asks for others gets a loader of its own, as before, and its
 * manifest says which (`served_by.loader`). A kept loader that dies is said at once on the
 * server's stderr; the next session starts a fresh one, and its client is told.
 */
import { commandEnv } from "./command_line.ts";
import { Kind } from "./events.ts";
import {
  LOADER_HELLO,
  LoaderClient,
  LoaderError,
  type LoaderOptions,
  type LoaderProcess,
  readHello,
  type Reply,
} from "./loader.ts";

/** The options a loader is loaded with, which a kept one's sessions must share. */
export interface LoadedOptions {
  maxTlsBytes: number;
  gate: boolean;
  ipc: boolean;
}

/** Why a session with options `o` cannot use a loader loaded with `kept`, or undefined. */
export function optionsDiffer(kept: LoadedOptions, o: LoadedOptions): string | undefined {
  const differ = [
    o.maxTlsBytes !== kept.maxTlsBytes ? `--max-tls-bytes ${o.maxTlsBytes}` : "",
    o.gate !== kept.gate ? (o.gate ? "the gate" : "--no-gate") : "",
    o.ipc !== kept.ipc ? (o.ipc ? "ipc" : "--no-ipc") : "",
  ].filter(Boolean);
  return differ.length
    ? `its options differ from the kept loader's (${differ.join(", ")})`
    : undefined;
}

/**
 * The session file bpf/loader.c read_session reads: NUL-terminated UID GID CWD STDIO_PID
 * STDIO_START ARGC ARGV... ENV... (-1: no uid or gid; "": no directory; 0: no --stdio-of; -1:
 * its start time unchecked).
 */
export function sessionFile(o: LoaderOptions): Uint8Array {
  const env = { ...(o.commandEnv ?? commandEnv() ?? Deno.env.toObject()), ...o.env };
  const cmd = o.cmd ?? [];
  const fields = [
    String(o.uid ?? -1),
    String(o.gid ?? -1),
    o.cwd ?? "",
    String(o.stdioOf ?? 0),
    String(o.stdioStart ?? -1),
    String(cmd.length),
    ...cmd,
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
  ];
  // a NUL would end its field early and shift every later one (argv read as env, ...)
  const nul = (f: string) => f.includes("\0");
  const envBad = Object.entries(env).find(([k, v]) => nul(k) || nul(v));
  const bad = cmd.some(nul)
    ? "an argument of the command"
    : nul(o.cwd ?? "")
    ? "the directory"
    : envBad
    ? `the environment variable ${JSON.stringify(envBad[0])}`
    : undefined;
  if (bad) throw new LoaderError(`${bad} has a NUL byte, which no command can be given`, 2);
  return new TextEncoder().encode(fields.map((f) => `${f}\0`).join(""));
}

/** The kept loader went away before a session of it started (nothing of the session ran). */
export class KeptLoaderGone extends LoaderError {
  constructor() {
    super("the kept loader went away before the session started", 1);
  }
}

/** A kept loader asked to stop is killed if it has not ended after this long. */
const STOP_KILL_MS = 10_000;

/** After a kept loader failed to start, sessions start loaders of their own this long. */
export const RETRY_START_MS = 60_000;

export class KeptLoader {
  #client: LoaderClient | undefined;
  #starting: Promise<LoaderClient | undefined> | undefined;
  #stopping = false;
  /** why the last kept loader ended, until a session has been told */
  #died: string | undefined;
  /** why the last start failed, and when (no start is tried again for RETRY_START_MS) */
  #failed: { why: string; at: number } | undefined;

  constructor(
    readonly options: LoadedOptions,
    readonly log: (line: string) => void,
    readonly loaderPath?: string,
  ) {}

  /** The kept loader's pid, while one is loaded. */
  get pid(): number | undefined {
    return this.#client?.process.pid;
  }

  /** Why the previous kept loader died, once (the next session's client is told). */
  takeDeath(): string | undefined {
    const d = this.#died;
    this.#died = undefined;
    return d;
  }

  /** Why the last start of a kept loader failed, while sessions do without one. */
  get failure(): string | undefined {
    return this.#failed?.why;
  }

  /**
   * The kept loader, loaded (started now if none is): undefined if it cannot be (said once; no
   * start is tried again for RETRY_START_MS, `failure` says why meanwhile).
   */
  ensure(): Promise<LoaderClient | undefined> {
    if (this.#client) return Promise.resolve(this.#client);
    if (this.#failed && Date.now() - this.#failed.at < RETRY_START_MS) {
      return Promise.resolve(undefined);
    }
    return this.#starting ??= this.#start().finally(() => this.#starting = undefined);
  }

  /**
   * A fresh kept loader after `gone` went away before a session of it started (its death
   * already said to the server's log; the session's client is told by the caller).
   */
  async replace(gone: LoaderClient): Promise<LoaderClient | undefined> {
    await gone.process.status; // (then it is no longer this.#client)
    this.#died = undefined;
    return await this.ensure();
  }

  async #start(): Promise<LoaderClient | undefined> {
    let client: LoaderClient;
    try {
      // its own environment is nobody's (each session's command gets its client's) but for
      // SIGHTLINE_DEBUG, its phase log
      const debug = Deno.env.get("SIGHTLINE_DEBUG");
      client = await LoaderClient.start({
        ...this.options,
        serve: true,
        commandEnv: debug === undefined ? {} : { SIGHTLINE_DEBUG: debug },
        loaderPath: this.loaderPath,
      });
      client.listen((ev) => {
        if (ev.kind === Kind.LOG) this.log(`sightline: kept loader: ${ev.text}`);
      });
      await client.ready;
    } catch (e) {
      const why = (e as Error).message;
      this.#failed = { why, at: Date.now() };
      this.log(
        `sightline: the kept loader could not be started (${why}): sessions start loaders of ` +
          `their own for the next ${RETRY_START_MS / 1000} s, then it is tried again`,
      );
      return undefined;
    }
    this.#failed = undefined;
    this.#client = client;
    this.log(`sightline: kept loader (pid ${client.process.pid}) loaded`);
    client.process.status.then((st) => {
      if (this.#client === client) this.#client = undefined;
      if (this.#stopping) return;
      const how = st.signal !== null ? `was killed by ${st.signal}` : `exited with code ${st.code}`;
      this.#died = `the kept loader (pid ${client.process.pid}) ${how}`;
      this.log(`sightline: ${this.#died}; the next session starts a fresh one`);
    });
    return client;
  }

  /**
   * Starts a session of the kept loader `kept` (from ensure()) for `o` (its command, user,
   * directory, client), as LoaderClient.start starts a loader of its own: resolves once the
   * loader has connected for it.
   */
  async session(kept: LoaderClient, o: LoaderOptions): Promise<LoaderClient> {
    const dir = Deno.makeTempDirSync({ prefix: "sightline-" });
    Deno.chmodSync(dir, 0o700);
    const listener = Deno.listen({ transport: "unix", path: `${dir}/loader.sock` });
    const cleanup = () => {
      try {
        listener.close();
      } catch { /* closed */ }
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch (e) { // (never in place of the session's own error)
        this.log(`sightline: cannot remove ${dir}: ${(e as Error).message}`);
      }
    };
    let ended: Promise<Reply>;
    let conn: Deno.UnixConn | undefined;
    try {
      Deno.writeFileSync(`${dir}/session`, sessionFile(o), { mode: 0o600 });
      ended = kept.command("session", dir);
      const first = await Promise.race([
        listener.accept().then((c) => c as Deno.UnixConn, () => undefined),
        ended.then(() => undefined),
      ]);
      if (!first) {
        const r = await ended;
        throw r.gone ? new KeptLoaderGone() : new LoaderError(r.text, 1);
      }
      conn = first;
      if (await readHello(conn, ended) !== LOADER_HELLO) {
        conn.close();
        throw new LoaderError("the kept loader sent no handshake for the session", 1);
      }
    } finally {
      cleanup();
    }
    // the session's end is the reply to `session` (its records delivered, its probes
    // detached); a loader that died meanwhile ends it with the loader's own status
    const status: Promise<Deno.CommandStatus> = ended.then(async (r) =>
      r.gone
        ? await kept.process.status
        : { success: r.err === 0, code: r.err ? 1 : 0, signal: null }
    );
    const proc: LoaderProcess = {
      pid: kept.process.pid,
      status,
      kill: (signal?: Deno.Signal) => {
        // forced: the kept loader goes (the next session starts a fresh one); else the
        // session ends as a loader of its own does at that signal
        if (signal === "SIGKILL") kept.process.kill("SIGKILL");
        else void session.command("end");
      },
    };
    const session = LoaderClient.ofSession(proc, conn, kept, o.tap);
    return session;
  }

  /** Unloads the kept loader (the server stops): it ends once asked, or is killed after
   * STOP_KILL_MS (said). */
  async stop(): Promise<void> {
    this.#stopping = true;
    const c = this.#client ?? await this.#starting;
    if (!c) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.log(
          `sightline: the kept loader (pid ${c.process.pid}) did not stop in ` +
            `${STOP_KILL_MS / 1000} s: killed`,
        );
        try {
          c.process.kill("SIGKILL");
        } catch { /* gone */ }
        resolve();
      }, STOP_KILL_MS);
    });
    try {
      await Promise.race([c.command("stop"), killed]);
      await c.process.status;
    } finally {
      clearTimeout(timer);
    }
  }
}
