/**
 * The capture side of bpf/loader.c: starts `sightline-loader`, accepts its Unix-socket
 * connection, decodes its record stream and sends it commands (with replies as promises).
 * With the gate, the loader connects a second time for its watchdog (bpf/watchdog.h), which
 * reports on that connection what it resumed should the loader die (watchdogReport).
 */
import { filePath } from "../kit/file_path.ts";
import { decode, EVENTS_H_HASH, Kind, type SlEvent } from "./events.ts";
import { createFrameParser } from "./frames.ts";
import { phaseEnv } from "./phase_log.ts";
import { commandEnv } from "./command_line.ts";
import { readWatchdogReport, type WatchdogReport } from "./watchdog_report.ts";

export const LOADER_PATH = filePath("../bpf/build/sightline-loader", import.meta.url);

/** Exit codes of sightline-loader (enum exit_code in loader.c). */
export const LoaderExit = { USAGE: 2, PERM: 3, NOBTF: 4, LOAD: 5, SOCK: 6 } as const;

export interface LoaderOptions {
  maxTlsBytes: number;
  gate: boolean;
  /** record pipes and unix sockets carrying JSON-RPC (false: --no-ipc) */
  ipc?: boolean;
  comm?: string;
  pids?: number[];
  /** the command to launch (stopped until `go`) */
  cmd?: string[];
  uid?: number;
  gid?: number;
  cwd?: string;
  /** extra environment for the command (the loader passes its environment on) */
  env?: Record<string, string>;
  /** the command's whole environment (a resident capture's session: its client's); default
   * this process's */
  commandEnv?: Record<string, string>;
  /** the command gets this process's stdin, stdout and stderr, and a process group of its
   * own (a resident capture's session: its client's pid) */
  stdioOf?: number;
  /** that process's start time (/proc/PID/stat, clock ticks after boot): the loader checks
   * the pid is still it once it holds a pidfd of it (a client reaped, its pid reused) */
  stdioStart?: number;
  loaderPath?: string;
  /** a kept loader (capture/kept_loader.ts): loaded once, then it runs sessions; no command */
  serve?: boolean;
  /** sees every byte of the record stream as it arrives (to record a test fixture; the view is
   * only valid during the call: copy what you keep) */
  tap?: (bytes: Uint8Array) => void;
}

/**
 * The loader's first bytes on its connection, before any record: the digest of the events.h it
 * was built from (bpf/loader.c). Anything else, or nothing within HELLO_MS, is a stale build.
 */
export const LOADER_HELLO = `SLHELLO ${EVENTS_H_HASH}\n`;
/** how long a connected loader may take to say its hello (it does so right away) */
export const HELLO_MS = 2000;

export class LoaderError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

export interface Reply {
  err: number;
  text: string;
  /** set when the loader never replied: it had gone (its stream ended) */
  gone?: true;
}

/** A record stream is read this many bytes at a time: big reads, fewer wake-ups and copies at
 * high rates. */
const READ_BUFFER_BYTES = 4 << 20;

/**
 * Read buffers no stream is reading into: a resident capture's next session takes one (a
 * fresh 4 MiB buffer took 15-27 ms of the resident capture's CPU in 4 of 10 profiled sessions:
 * the garbage collection V8 runs for the external memory it adds; Session 36 of
 * reports/bench/capture.md). A capture of its own reads one stream at a time: one buffer.
 * At most IDLE_BUFFERS are kept (a resident capture's sessions at once leave one each).
 */
const idleBuffers: Uint8Array[] = [];
const IDLE_BUFFERS = 2;

/**
 * A record held until listen(), its bytes copied: decode() gives views of the read buffer
 * (TLS data, argv), which the stream's next read, or another stream's once it is idle,
 * overwrites.
 */
function held(ev: SlEvent): SlEvent {
  return "data" in ev && ev.data.length ? { ...ev, data: ev.data.slice() } as SlEvent : ev;
}

/** The reply to a command the loader will never answer: its stream has ended. */
const GONE: Reply = Object.freeze({ err: -32, text: "loader gone", gone: true });

/** The loader's process as a capture sees it: a loader's own, or a kept loader's session
 * (kept_loader.ts: its status is the session's end, SIGTERM ends the session). */
export type LoaderProcess = Pick<Deno.ChildProcess, "pid" | "status" | "kill">;

export class LoaderClient {
  readonly process: LoaderProcess;
  /** resolves when the record stream has ended (every record delivered) */
  readonly done: Promise<void>;
  /** the first SL_K_READY record */
  readonly ready: Promise<SlEvent & { kind: 64 }>;
  /** fatal messages the loader sent before exiting */
  readonly fatal: string[] = [];
  #conn: Deno.UnixConn;
  /** the watchdog's connection (with the gate), until read or closed */
  #watchdog: Deno.UnixConn | undefined;
  /** a kept loader's session: the kept loader's client, whose watchdog it is */
  #watchdogOf: LoaderClient | undefined;
  #nextId = 1;
  #replies = new Map<number, (r: Reply) => void>();
  #enc = new TextEncoder();
  #closed = false;

  /** records that arrived before listen(), and the listener */
  #early: SlEvent[] | undefined = [];
  #onEvent: (ev: SlEvent) => void = (ev) => this.#early?.push(held(ev));

  private constructor(
    process: LoaderProcess,
    conn: Deno.UnixConn,
    watchdog: Deno.UnixConn | LoaderClient | undefined,
    tap?: (bytes: Uint8Array) => void,
  ) {
    this.process = process;
    this.#conn = conn;
    if (watchdog instanceof LoaderClient) this.#watchdogOf = watchdog;
    else this.#watchdog = watchdog;
    let resolveReady!: (r: SlEvent & { kind: 64 }) => void;
    let rejectReady!: (e: Error) => void;
    this.ready = new Promise((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    let sawReady = false;
    const parser = createFrameParser({
      onFrame: (rec) => {
        const ev = decode(rec);
        if (ev.kind === Kind.REPLY) {
          const r = this.#replies.get(ev.id);
          this.#replies.delete(ev.id);
          r?.({ err: ev.err, text: ev.text });
          return;
        }
        if (ev.kind === Kind.READY && !sawReady) {
          sawReady = true;
          resolveReady(ev);
        }
        if (ev.kind === Kind.LOG && !sawReady) this.fatal.push(ev.text);
        this.#onEvent(ev);
      },
    }, { maxBufferSize: 1 << 20 });
    this.done = (async () => {
      const buf = idleBuffers.pop() ?? new Uint8Array(READ_BUFFER_BYTES);
      try {
        for (;;) {
          const n = await conn.read(buf);
          if (n === null) break;
          tap?.(buf.subarray(0, n));
          parser.feed(buf.subarray(0, n));
        }
      } catch {
        // the loader went away mid-stream: what arrived is kept
      } finally {
        // (what is kept of it is copied: by the parser, the tap, held(), the TLS assembler)
        if (idleBuffers.length < IDLE_BUFFERS) idleBuffers.push(buf);
      }
      parser.end();
      this.#closed = true;
      for (const r of this.#replies.values()) r(GONE);
      this.#replies.clear();
      if (!sawReady) {
        const st = await process.status;
        rejectReady(
          new LoaderError(
            this.fatal.at(-1) ?? `sightline-loader exited with code ${st.code}`,
            st.code,
          ),
        );
      }
    })();
  }

  /**
   * Starts the loader and resolves once it has connected (it loads and attaches the eBPF
   * programs after that; `ready` says when it is done). Records are kept until listen().
   */
  static async start(opts: LoaderOptions): Promise<LoaderClient> {
    // Up to the spawn, synchronously: main.ts loads the capture's modules right after this
    // call, and an await here let the loader start only once they were loaded (~40 ms later).
    const dir = Deno.makeTempDirSync({ prefix: "sightline-" });
    Deno.chmodSync(dir, 0o700);
    const sockPath = `${dir}/loader.sock`;
    const listener = Deno.listen({ transport: "unix", path: sockPath });
    const args = [
      opts.serve ? "--serve-sock" : "--sock",
      sockPath,
      "--max-tls-bytes",
      String(opts.maxTlsBytes),
    ];
    if (!opts.gate) args.push("--no-gate");
    if (opts.ipc === false) args.push("--no-ipc");
    if (opts.comm) args.push("--comm", opts.comm);
    for (const p of opts.pids ?? []) args.push("--pid", String(p));
    if (opts.uid !== undefined) args.push("--uid", String(opts.uid));
    if (opts.gid !== undefined) args.push("--gid", String(opts.gid));
    if (opts.cwd) args.push("--cwd", opts.cwd);
    if (opts.stdioOf !== undefined) args.push("--stdio-of", String(opts.stdioOf));
    if (opts.stdioStart !== undefined) args.push("--stdio-start", String(opts.stdioStart));
    if (opts.cmd) args.push("--", ...opts.cmd);
    const loaderPath = opts.loaderPath ?? LOADER_PATH;
    let process: Deno.ChildProcess;
    try {
      // the loader passes its environment on to the command: the one captureCommand kept
      const base = opts.commandEnv ?? commandEnv();
      process = new Deno.Command(loaderPath, {
        args,
        ...(base ? { clearEnv: true } : {}),
        env: { ...base, ...opts.env, ...phaseEnv() },
        stdin: "inherit",
        stdout: "inherit",
        stderr: "inherit",
      }).spawn();
    } catch (e) {
      listener.close();
      await Deno.remove(dir, { recursive: true });
      if (e instanceof Deno.errors.NotFound) {
        throw new LoaderError(
          `${loaderPath} is missing: build it with ./sightline (set-up) or make -C bpf`,
          1,
        );
      }
      throw e;
    }
    // Either the loader connects, or it exits first (with its reason on stderr).
    const accepted = listener.accept().then((c) => ({ conn: c as Deno.UnixConn }));
    const exited = process.status.then((s) => ({ status: s }));
    const first = await Promise.race([accepted, exited]);
    // a loader built from another events.h would have its records misread (and its command
    // never released): refused at its first bytes, before the watchdog's connection
    const hello = "conn" in first ? await readHello(first.conn, exited) : LOADER_HELLO;
    if (hello !== LOADER_HELLO && "conn" in first) {
      try {
        process.kill("SIGKILL");
      } catch { /* gone */ }
      await process.status;
      first.conn.close();
      listener.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw new LoaderError(
        `${loaderPath} is stale (${
          hello === undefined ? "it sent no handshake" : "built from another bpf/events.h"
        }): rebuild it with make -C bpf`,
        1,
      );
    }
    // with the gate, its watchdog's connection comes next (one that exited between the two
    // has said why on the first)
    const second = "status" in first || !opts.gate ? undefined : await Promise.race([
      listener.accept().then(
        (c) => ({ conn: c as Deno.UnixConn | undefined }),
        () => ({ conn: undefined }),
      ),
      exited,
    ]);
    listener.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    if ("status" in first) {
      throw new LoaderError(
        `sightline-loader exited (code ${first.status.code}) before connecting`,
        first.status.code,
      );
    }
    const watchdog = second && "conn" in second ? second.conn : undefined; // (else it exited)
    return new LoaderClient(process, first.conn, watchdog, opts.tap);
  }

  /**
   * What the loader's watchdog did once the loader had gone: read to the end of its report,
   * for at most `timeoutMs`. Call it after the loader has exited. Undefined without a watchdog
   * (no gate) or when it was already read or closed; `done` false when it said nothing, or not
   * all (killed too, or not done in time).
   */
  async watchdogReport(timeoutMs: number): Promise<WatchdogReport | undefined> {
    if (this.#watchdogOf) return await this.#watchdogOf.watchdogReport(timeoutMs);
    const conn = this.#watchdog;
    this.#watchdog = undefined;
    return conn ? await readWatchdogReport(conn, timeoutMs) : undefined;
  }

  /** Lets the watchdog's report go unread (the loader ended as it should). */
  closeWatchdog(): void {
    try {
      this.#watchdog?.close();
    } catch { /* closed */ }
    this.#watchdog = undefined;
  }

  /**
   * A kept loader's session (kept_loader.ts): its connection, once the loader has said its
   * hello there; `process` is the session's; the watchdog is the kept loader's (`kept`).
   */
  static ofSession(
    process: LoaderProcess,
    conn: Deno.UnixConn,
    kept: LoaderClient,
    tap?: (bytes: Uint8Array) => void,
  ): LoaderClient {
    return new LoaderClient(process, conn, kept, tap);
  }

  /** Hands every record, those that arrived before included, to `onEvent`. */
  listen(onEvent: (ev: SlEvent) => void): void {
    const early = this.#early ?? [];
    this.#early = undefined;
    this.#onEvent = onEvent;
    for (const ev of early) onEvent(ev);
  }

  /** Sends a command; resolves with the loader's reply. */
  command(verb: string, ...args: (string | number | bigint)[]): Promise<Reply> {
    if (this.#closed) return Promise.resolve(GONE);
    const id = this.#nextId++;
    const line = [id, verb, ...args].join(" ") + "\n";
    const p = new Promise<Reply>((res) => this.#replies.set(id, res));
    this.#write(line);
    return p;
  }

  /** The id the next command will carry (the attach command uses it as the probe cookie). */
  peekId(): number {
    return this.#nextId;
  }

  #writing: Promise<void> = Promise.resolve();
  /** lines not yet handed to a write, in order: all go in the next one */
  #pending = "";

  /**
   * Queues a command line. Lines queued while a write is under way go together in the next
   * one: a capture that starts by telling the loader of hundreds of known files (attach.ts
   * preknown) makes a few writes, not one each (~0.08 ms a file before: Session 25 of
   * reports/bench/capture.md).
   */
  #write(line: string): void {
    const queued = this.#pending !== "";
    this.#pending += line;
    if (queued) return; // the write queued already takes this line too
    this.#writing = this.#writing.then(async () => {
      const bytes = this.#enc.encode(this.#pending);
      this.#pending = "";
      try {
        let off = 0;
        while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
      } catch {
        this.#closed = true;
      }
    });
  }

  /** Asks the loader to drain and exit. */
  async stop(): Promise<void> {
    if (!this.#closed) await this.command("stop");
  }
}

/**
 * The loader's hello: its first LOADER_HELLO.length bytes as text, or undefined when it sent
 * fewer before closing, exiting or HELLO_MS passing.
 */
export async function readHello(
  conn: Deno.UnixConn,
  exited: Promise<unknown>,
): Promise<string | undefined> {
  const buf = new Uint8Array(LOADER_HELLO.length);
  const read = (async () => {
    let got = 0;
    while (got < buf.length) {
      const n = await conn.read(buf.subarray(got));
      if (n === null) return undefined;
      got += n;
    }
    return new TextDecoder().decode(buf);
  })().catch(() => undefined);
  // AbortSignal.timeout: the runtime's own timer, which keeps no process alive (recorder.ts)
  const late = new Promise<undefined>((res) =>
    AbortSignal.timeout(HELLO_MS).addEventListener("abort", () => res(undefined))
  );
  return await Promise.race([read, late, exited.then(() => read)]);
}
