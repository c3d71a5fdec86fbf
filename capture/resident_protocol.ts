/**
 * What a resident capture (`capture --serve`, resident_server.ts) and its clients (`capture
 * --via`, resident_client.ts) say to each other on its Unix socket: one JSON object a line.
 * The client sends one Request, then the signals it gets (Ctrl-C at its terminal, a SIGTERM
 * to it) as they come; the server answers with ServerLines: messages for the client's stderr,
 * the recording directory once chosen, and the end (the exit code, or an error line). No
 * imports: the client loads this alone.
 */

/** Where `capture --serve` listens, and `--via` with no path looks, by default. */
export const DEFAULT_SOCKET = "/run/sightline/capture.sock";

/** The protocol's version: a server refuses another (a client of another checkout). */
export const PROTOCOL = 1;

/** A session asked of the resident capture: the command and where and how it runs. */
export interface Request {
  v: number;
  /** the client's pid: the command gets its stdin, stdout and stderr */
  pid: number;
  cmd: string[];
  /** the directory the command runs in, and its whole environment */
  cwd: string;
  env: Record<string, string>;
  /** the capture's options, as `capture_args.ts` read them (absolute paths) */
  out?: string;
  force?: boolean;
  maxTlsBytes?: number;
  keepSecrets?: boolean;
  gate?: boolean;
  ipc?: boolean;
  cacheDir?: string;
  quiet?: boolean;
}

/** A signal the client passed on. */
export interface SignalLine {
  signal: "SIGINT" | "SIGTERM" | "SIGHUP";
}

/** What the server says: a line for the client's stderr, the recording directory, the end. */
export type ServerLine =
  | { log: string }
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
