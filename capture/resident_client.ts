/**
 * `deno task capture --via [--socket PATH] [OPTIONS] -- CMD`: a session of the resident capture
 * serving PATH (resident_server.ts). Sends it its command line unparsed (the server reads it,
 * via_session.ts, and answers a mistake with one line), its directory and environment; CMD runs with this process's stdin, stdout and stderr; the capture's
 * messages come back to stderr and its exit code is this process's. Signals this process gets
 * (Ctrl-C, SIGTERM, SIGHUP) are passed on, to do what they do to `capture -- CMD`; at a
 * terminal, so is SIGWINCH (a resize), for the command's process group, and Ctrl-Z (SIGTSTP)
 * is taken and said not to stop the session (README, "A resident capture"). No resident
 * capture at PATH, or one that goes away mid-session: one line, exit 1 (what it recorded stays
 * in its directory). The command runs as the user sudo names here (SUDO_UID, read by the
 * server), or as root without one, as with `capture -- CMD`. Ctrl-C (or SIGTERM, SIGHUP) while waiting for
 * another session to end: one line, exit 128+signal, nothing recorded. Only a socket of
 * root's that no one else can use gets the environment. This is what a session costs on the
 * client's side, so it imports only resident_protocol.ts. native/via_client.c does the same
 * in C, without Deno's start (`./sightline capture --via` runs it when it is built).
 */
import { CliError } from "../kit/cli_error.ts";
import {
  DEFAULT_SOCKET,
  lineReader,
  PROTOCOL,
  type Request,
  sendLine,
} from "./resident_protocol.ts";

/** The value of --socket in `args` (a `capture --via` command line), read as capture_args.ts
 * splitArgs() reads options (up to `--` or the first argument that is not an option; a valued
 * option takes the next one), nothing else checked: the server reads the rest. */
export function viaSocket(args: string[]): string {
  const valued = ["--out", "--pid", "--comm", "--max-tls-bytes", "--cache-dir", "--socket"];
  let socket = DEFAULT_SOCKET;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--" || !a.startsWith("-")) break;
    if (a.startsWith("--socket=")) socket = a.slice(9);
    else if (valued.includes(a)) {
      if (a === "--socket" && i + 1 < args.length) socket = args[i + 1];
      i++;
    }
  }
  return socket;
}

/** This process's start time (/proc/self/stat field 22, after the command name). */
function startTime(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
}

/** Asks the resident capture at `socket` for a session; returns the exit code. */
export async function via(
  socket: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<number> {
  if (socket === "") throw new CliError("--socket wants a value, got an empty string", 2);
  const none = "none is running (start one with `sudo deno task capture --serve`)";
  let st;
  try {
    st = Deno.lstatSync(socket);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? none : (e as Error).message;
    throw new CliError(`no resident capture at ${socket}: ${why}`, 1);
  }
  // the environment (keys, tokens) goes only to a socket root alone can have made and serve
  // in a directory of root's alone, as the server makes it (Deno shows no SO_PEERCRED, so the
  // C client's check of who listens cannot be made here: no one else can put a socket there)
  const slash = socket.lastIndexOf("/");
  const sockDir = slash < 0 ? "." : slash === 0 ? "/" : socket.slice(0, slash);
  let ds;
  try {
    ds = Deno.lstatSync(sockDir);
  } catch { /* below */ }
  if (
    !st.isSocket || st.uid !== 0 || ((st.mode ?? 0) & 0o077) !== 0 ||
    !ds?.isDirectory || ds.uid !== 0 || ((ds.mode ?? 0) & 0o077) !== 0
  ) {
    throw new CliError(
      `${socket} is not a resident capture's socket (a socket of root's that only root can ` +
        "use, in a directory of root's that no one else can use)",
      1,
    );
  }
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path: socket });
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound || e instanceof Deno.errors.ConnectionRefused
      ? none
      : (e as Error).message;
    throw new CliError(`no resident capture at ${socket}: ${why}`, 1);
  }
  const req: Request = { v: PROTOCOL, pid: Deno.pid, start: startTime(), args, cwd, env };
  if (!await sendLine(conn, req)) {
    throw new CliError(`the resident capture at ${socket} closed the connection`, 1);
  }
  // at a terminal, its size changes too: the command has the terminal as its stdio only, so
  // the kernel's SIGWINCH reaches this process's group, not the command's
  const atTerminal = Deno.stdin.isTerminal() || Deno.stdout.isTerminal();
  const passed: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  if (atTerminal) passed.push("SIGWINCH");
  const signals = passed.map((s) => {
    const l = () => void sendLine(conn, { signal: s });
    Deno.addSignalListener(s, l);
    return [s, l] as [Deno.Signal, () => void];
  });
  // Ctrl-Z would stop this process alone, the command running on behind the shell's prompt:
  // taken, and said, instead (the command is no job of this terminal's shell)
  const onStop = () =>
    console.error(
      "sightline: Ctrl-Z does not stop a --via session (its command is not a job of this " +
        "terminal); Ctrl-C ends it",
    );
  if (atTerminal) {
    Deno.addSignalListener("SIGTSTP", onStop);
    signals.push(["SIGTSTP", onStop]);
  }
  let dir: string | undefined;
  let result: { code: number; error?: string } | undefined;
  const feed = lineReader((v) => {
    const m = v as Record<string, unknown> | null;
    if (!m) return;
    if (typeof m.log === "string") console.error(m.log);
    else if (typeof m.out === "string") console.log(m.out);
    else if (typeof m.dir === "string") dir = m.dir;
    else if (typeof m.end === "number") result = { code: m.end };
    else if (typeof m.error === "string") {
      result = { code: typeof m.code === "number" ? m.code : 1, error: m.error };
    }
  });
  try {
    const buf = new Uint8Array(1 << 16);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      feed(buf.subarray(0, n));
    }
  } catch { /* gone */ }
  feed(null);
  signals.forEach(([s, l]) => Deno.removeSignalListener(s, l));
  try {
    conn.close();
  } catch { /* closed */ }
  if (!result) {
    throw new CliError(
      `the resident capture at ${socket} went away mid-session` +
        (dir ? `; what it recorded so far stays in ${dir}` : ""),
      1,
    );
  }
  if (result.error !== undefined) throw new CliError(result.error, result.code);
  return result.code;
}
