/**
 * A pseudo-terminal for tests that drive a program as a user at a terminal does: the command
 * runs as the session leader of a new terminal (python3's `pty` module makes it and relays),
 * what the test types reaches the terminal as keys, and what the terminal shows comes back,
 * waited on by pattern (never by sleeping). The text matched has the terminal's escape
 * sequences taken out (a cursor move forward, which full-screen programs use for spaces, is as
 * many spaces, one to a column a space; one to another line or position a line break).
 */

/**
 * The relay: `python3 -c RELAY COLS ROWS CMD...`; its exit status as JSON on stderr. Keys typed
 * wait in `pending` until the terminal takes them (its master is non-blocking: a program that
 * reads none while it writes cannot deadlock the relay), every wait once the test is done has a
 * deadline, and once it
 * is done, every process left in the terminal's session (its session id, field 6 of
 * /proc/PID/stat, the leader's pid: a stopped capture with its eBPF programs attached, in a group
 * of its own) is killed, the gate's watchdog (comm "sightline-watch") last: it resumes what the
 * exec gate stopped outside the session once the loader is gone, then ends by itself.
 */
const RELAY = `
import fcntl, json, os, pty, select, signal, struct, sys, termios, time
cols, rows, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
signal.signal(signal.SIGTERM, lambda *_: None)  # ended through stdin, which hangs up
os.set_blocking(fd, False)

def reap(seconds):
    deadline = time.time() + seconds
    while True:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done or time.time() >= deadline:
            return st if done else None
        time.sleep(0.05)

def session():
    left = []
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{name}/stat") as stat:
                s = stat.read()
        except OSError:
            continue  # ended
        f = s[s.rindex(")") + 2:].split()  # f[0] is field 3 (state), f[3] field 6 (session)
        if int(f[3]) == pid and f[0] != "Z":
            left.append((int(name), s[s.index("(") + 1:s.rindex(")")]))
    return left

def sweep(watchdog_grace=10):
    deadline = time.time() + watchdog_grace
    while left := session():
        late = time.time() > deadline
        for p, comm in left:
            if late or comm != "sightline-watch":
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
        if late:
            return
        time.sleep(0.05)

status, hung_up, ended_at, pending = None, False, None, b""
while True:
    if status is None:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status, ended_at = st, time.time()
    if ended_at is not None and time.time() - ended_at > 1:
        break  # what the session leader left running keeps the terminal: not waited for, killed
    try:
        r, w, _ = select.select([fd, 0], [fd] if pending else [], [], 0.1)
    except InterruptedError:
        continue
    if fd in w:
        try:
            pending = pending[os.write(fd, pending):]
        except BlockingIOError:
            pass
        except OSError:
            pending = b""  # nobody has the terminal open: the keys go nowhere
    if 0 in r:
        data = os.read(0, 65536)
        if not data:  # the test is done: hang up, as a closed terminal window does
            hung_up = True
            break
        pending += data
    if fd in r:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        if not data:  # every process of the terminal closed it
            break
        os.write(1, data)
os.close(fd)
if status is None:
    status = reap(5)
sweep()
if status is None:
    status = reap(5)
if status is None:
    sys.exit(f"the session leader (pid {pid}) did not end, not even killed")
sys.stderr.write(json.dumps({"exit": os.waitstatus_to_exitcode(status), "hungUp": hung_up}))
`;

/** Escape sequences: CSI (with what they do), OSC, charset choices, the other two-byte ones. */
const ESCAPE =
  // deno-lint-ignore no-control-regex
  /\x1b\[([0-?]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[@-Z\\^_`=>]/g;
/** An escape sequence cut short at the end of what arrived so far. */
// deno-lint-ignore no-control-regex
const OPEN_ESCAPE = /\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?|[()])?$/;

/** Text as the terminal shows it, escape sequences out (see the module's doc). */
export function shownText(raw: string): string {
  const moved = raw.replace(ESCAPE, (_m, params, final) => {
    if (final === "C") return " ".repeat(Math.min(Number(params) || 1, 500));
    if (final === "G") return " "; // to a column: what it skips is blank
    if ("HfABEFd".includes(final)) return "\n";
    return "";
  });
  // deno-lint-ignore no-control-regex
  return moved.replace(/\r/g, "").replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");
}

/** The whole environment of an interactive bash a test drives: this process's PATH and HOME, a
 * terminal type, and a prompt that shows the last exit code (`[rc=N]$ `). */
export function shellEnv(): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/root",
    TERM: "xterm-256color",
    PS1: "[rc=$?]$ ",
  };
}

export interface TerminalOptions {
  /** the whole environment of the command (nothing else is passed) */
  env: Record<string, string>;
  cwd?: string;
  /** the terminal's size; default 120 by 40 */
  cols?: number;
  rows?: number;
}

/** How the terminal's session leader ended: its exit code (negative: killed by that signal). */
export interface TerminalExit {
  exit: number;
  /** the test hung up before it ended (close()) */
  hungUp: boolean;
}

export class Terminal {
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #decoder = new TextDecoder();
  #open = "";
  #text = "";
  #from = 0;
  #wakers = new Set<() => void>();
  #ended = false;
  /** how the session leader ended (resolves after the terminal is done) */
  readonly exit: Promise<TerminalExit>;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    const reading = this.#read(child.stdout);
    const errors = new Response(child.stderr).text();
    this.exit = Promise.all([child.status, reading, errors]).then(([_status, _read, err]) => {
      try {
        return JSON.parse(err.trim().split("\n").at(-1) ?? "") as TerminalExit;
      } catch {
        throw new Error(`the terminal relay failed: ${err.slice(-1000)}`);
      }
    });
  }

  /** Starts `argv` on a new terminal. */
  static start(argv: string[], opts: TerminalOptions): Terminal {
    const child = new Deno.Command("/usr/bin/python3", {
      args: ["-c", RELAY, String(opts.cols ?? 120), String(opts.rows ?? 40), ...argv],
      env: opts.env,
      clearEnv: true,
      cwd: opts.cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new Terminal(child);
  }

  async #read(stdout: ReadableStream<Uint8Array>) {
    for await (const chunk of stdout) this.#shown(this.#decoder.decode(chunk, { stream: true }));
    this.#shown(this.#decoder.decode());
    this.#ended = true;
    this.#wake();
  }

  #shown(s: string) {
    const raw = this.#open + s;
    const open = OPEN_ESCAPE.exec(raw);
    this.#open = open ? open[0] : "";
    this.#text += shownText(open ? raw.slice(0, open.index) : raw);
    this.#wake();
  }

  #wake() {
    for (const w of this.#wakers) w();
  }

  /** Everything the terminal showed so far, as text. */
  get text(): string {
    return this.#text;
  }

  /** Types `keys` (text, or control characters: "\r" Enter, "\x03" Ctrl-C, "\x1a" Ctrl-Z). */
  async type(keys: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(keys));
  }

  /**
   * Waits until what the terminal showed after the last match matches `pattern` and returns
   * the match; fails naming `what` and showing the end of the text after `timeoutMs`, or when
   * the terminal ended first.
   */
  async until(pattern: RegExp, what: string, timeoutMs = 30_000): Promise<RegExpExecArray> {
    const re = new RegExp(pattern.source, pattern.flags.replace("g", ""));
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const m = re.exec(this.#text.slice(this.#from));
      if (m) {
        this.#from += m.index + m[0].length;
        return m;
      }
      const left = deadline - Date.now();
      if (this.#ended || left <= 0) {
        throw new Error(
          `${what}: not shown ${this.#ended ? "before the terminal ended" : `in ${timeoutMs} ms`}` +
            ` (${pattern}); the terminal's last text:\n${this.#text.slice(-3000)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 1000));
        this.#wakers.add(wake);
      });
    }
  }

  /**
   * Waits for the session leader's end (the `exit` promise), failing after `timeoutMs` with
   * the end of what the terminal showed (a test's `exit` the shell refused, a job that never
   * ends), so that a test fails rather than hangs.
   */
  async exited(timeoutMs = 30_000): Promise<TerminalExit> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() =>
        reject(
          new Error(
            `the terminal did not end in ${timeoutMs} ms; its last text:\n${
              this.#text.slice(-3000)
            }`,
          ),
        ), timeoutMs);
    });
    try {
      return await Promise.race([this.exit, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Hangs the terminal up (as closing its window does: SIGHUP to its session) unless it ended
   * already, and waits for the relay (which kills what is left in the terminal's session): how
   * the session leader ended.
   */
  async close(): Promise<TerminalExit> {
    await this.#stdin.close().catch(() => {});
    return await this.exit;
  }
}
