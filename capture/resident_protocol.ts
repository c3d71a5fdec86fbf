/**
 * What a resident capture (`capture --serve`, resident_server.ts) and its clients (`capture
 * --via`: resident_client.ts, or native/via_client.c) say to each other on its Unix socket: one
 * JSON object a line. The client sends one Request (its command line unparsed: the server reads
 * it, via_session.ts, so both clients send the same), then the signals it gets (Ctrl-C at its terminal, a SIGTERM
 * to it, its terminal's SIGWINCH) as they come; the server answers with ServerLines: messages for the client's stderr (and stdout),
 * the recording directory once chosen, and the end (the exit code, or an error line). No
 * imports but a type (erased): the client loads this alone.
 */
import type { CaptureOptions } from "./launch.ts";

/** Where `capture --serve` listens, and `--via` with no path looks, by default. */
export const DEFAULT_SOCKET = "/run/sightline/capture.sock";

/** The protocol's version: a server refuses another (a client of another checkout, or a C client
 * built from an older native/via_client.c). 4: the server's `out` line (for the client's stdout). */
export const PROTOCOL = 4;

/** A request is one line of at most this many bytes (the environment is most of it)... */
export const MAX_REQUEST_BYTES = 1 << 20;
/** ...and comes within this many ms of the connection, or the server closes it. */
export const REQUEST_DEADLINE_MS = 10_000;

/** The capture's options a session takes, as `capture_args.ts` read them (absolute paths). */
export type SessionOptions = Pick<
  CaptureOptions,
  "out" | "force" | "maxTlsBytes" | "keepSecrets" | "gate" | "ipc" | "cacheDir" | "quiet"
>;

/** A session asked of the resident capture, as a client sends it. */
export interface Request {
  v: number;
  /** the client's pid: the command gets its stdin, stdout and stderr */
  pid: number;
  /** its start time (/proc/PID/stat field 22): the server checks the pid is still the client */
  start: number;
  /** its command line after `capture` (`--via ...`), unparsed */
  args: string[];
  /** the directory the command runs in, and its whole environment */
  cwd: string;
  env: Record<string, string>;
}

/** A session as the server runs it: the Request with its command line read (via_session.ts). */
export interface Session extends SessionOptions {
  pid: number;
  start: number;
  /** the user the command runs as, the client's (sudo_identity.ts); null: root, as the client */
  user: { uid: number; gid: number } | null;
  cmd: string[];
  cwd: string;
  env: Record<string, string>;
}

/** The Request in `v` (a parsed line), or an Error saying (one line) what is wrong with it. */
export function checkRequest(v: unknown): Request {
  const r = v as Record<string, unknown> | null;
  if (!r || typeof r !== "object" || Array.isArray(r)) throw new Error("not a JSON object");
  if (r.v !== PROTOCOL) {
    const given = JSON.stringify(r.v) ?? "none";
    const said = given.length > 40 ? `${given.slice(0, 40)}...` : given;
    throw new Error(
      typeof r.v === "number" && r.v > PROTOCOL
        ? `a request of protocol ${said}, not ${PROTOCOL}: this resident capture is older than ` +
          "its client's checkout (restart it: `sudo deno task capture --serve`)"
        : `a request of protocol ${said}, not ${PROTOCOL}: a client of an older checkout, or a C ` +
          "client built before its source changed (`make -C native`, as yourself, rebuilds it)",
    );
  }
  const fail = (what: string) => {
    throw new Error(`a request whose ${what}`);
  };
  if (!Number.isInteger(r.pid) || (r.pid as number) < 2) fail("pid is not a process id");
  if (!Number.isInteger(r.start) || (r.start as number) < 0) fail("start is not a start time");
  if (
    !Array.isArray(r.args) || !r.args.every((a) => typeof a === "string")
  ) fail("args is not a list of strings");
  if (typeof r.cwd !== "string" || !r.cwd.startsWith("/")) fail("cwd is not an absolute path");
  const env = r.env as Record<string, unknown> | undefined;
  if (
    !env || typeof env !== "object" || Array.isArray(env) ||
    !Object.values(env).every((x) => typeof x === "string")
  ) fail("env is not an object of strings");
  return r as unknown as Request;
}

/** A signal the client passed on; SIGWINCH (its terminal's size changed) only from a client at
 * a terminal, for the command's process group (the command has the client's terminal as its
 * stdio, not as its controlling terminal: the kernel tells the client's group, not the
 * command's). */
export interface SignalLine {
  signal: "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGWINCH";
}

/** What the server says: a line for the client's stderr (`log`) or stdout (`out`: what the
 * command line asked to see, e.g. --help's usage), the recording directory, the end. */
export type ServerLine =
  | { log: string }
  | { out: string }
  | { dir: string }
  | { end: number }
  | { error: string; code: number };

/** Splits a byte stream into JSON lines; `onLine` gets each parsed object (bad lines: null). */
export function lineReader(onLine: (v: unknown) => void): (bytes: Uint8Array | null) => void {
  const dec = new TextDecoder();
  let rest = "";
  return (bytes) => {
    rest += bytes ? dec.decode(bytes, { stream: true }) : dec.decode();
    let nl;
    while ((nl = rest.indexOf("\n")) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      if (!line) continue;
      try {
        onLine(JSON.parse(line));
      } catch {
        onLine(null);
      }
    }
  };
}

/** Writes one JSON line in full; false once the other end has gone. */
export async function sendLine(conn: Deno.Conn, v: unknown): Promise<boolean> {
  const bytes = new TextEncoder().encode(JSON.stringify(v) + "\n");
  try {
    let off = 0;
    while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    return true;
  } catch {
    return false;
  }
}
