/**
 * The report of the loader's watchdog (bpf/watchdog.h): once the loader has gone, the watchdog
 * closes the gate and resumes every process the gate stopped that nobody had resumed, those
 * whose stop never reached the capture (its report unread in the kernel's ring buffer as the
 * loader died) included, and says so, a line each, on its own connection to the capture:
 * `resumed PID`, `gone PID`, `failed PID ERROR`, `unsettled N`, `error TEXT`, then `done`.
 * Here: reading it, and saying it in words for the capture's error line and the manifest.
 */

export interface WatchdogReport {
  /** sent SIGCONT: still the process the gate stopped */
  resumed: number[];
  /** ended meanwhile, or its pid is another process's now */
  gone: number[];
  /** SIGCONT failed, with why */
  failed: { pid: number; error: string }[];
  /** gate calls still under way a second after it closed the gate (their stops may be left) */
  unsettled: number;
  /** what it could not do (`error` lines) */
  errors: string[];
  /** it said `done`: the report is whole */
  done: boolean;
}

/** The report's lines; a line it does not know is kept as an error (loud, never dropped). */
export function parseWatchdogReport(text: string): WatchdogReport {
  const r: WatchdogReport = {
    resumed: [],
    gone: [],
    failed: [],
    unsettled: 0,
    errors: [],
    done: false,
  };
  for (const line of text.split("\n")) {
    if (!line) continue;
    const m = line.match(/^(resumed|gone|failed|unsettled|error|done)(?: (\d+))?(?: (.*))?$/);
    const n = m?.[2] === undefined ? NaN : Number(m[2]);
    if (m?.[1] === "resumed" && n >= 0) r.resumed.push(n);
    else if (m?.[1] === "gone" && n >= 0) r.gone.push(n);
    else if (m?.[1] === "failed" && n >= 0) r.failed.push({ pid: n, error: m[3] ?? "" });
    else if (m?.[1] === "unsettled" && n >= 0) r.unsettled += n;
    else if (m?.[1] === "error") r.errors.push([m[2], m[3]].filter(Boolean).join(" "));
    else if (m?.[1] === "done") r.done = true;
    else r.errors.push(`unreadable line: ${JSON.stringify(line)}`);
  }
  return r;
}

/**
 * Reads the watchdog's connection to its end (the watchdog exits once it has reported, or was
 * killed), for at most `timeoutMs`, and closes it.
 */
export async function readWatchdogReport(
  conn: Deno.Conn,
  timeoutMs: number,
): Promise<WatchdogReport> {
  const chunks: Uint8Array[] = [];
  const readAll = (async () => {
    const buf = new Uint8Array(16384);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        chunks.push(buf.slice(0, n));
      }
    } catch { /* closed below at the time limit, or reset */ }
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([readAll, new Promise((res) => timer = setTimeout(res, timeoutMs))]);
  clearTimeout(timer);
  try {
    conn.close();
  } catch { /* closed */ }
  await readAll;
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((off, c) => (bytes.set(c, off), off + c.length), 0);
  return parseWatchdogReport(new TextDecoder().decode(bytes));
}

const pidList = (p: number[]) => `pid${p.length === 1 ? "" : "s"} ${p.join(", ")}`;

/**
 * What the watchdog did, in words, after the capture's own account of what was resumed
 * (describeResumed, which counts the watchdog's too): which of those it resumed, and how many
 * of them the capture had not been told of; or that it did not report. `known`: the stops the
 * capture had been told of. Undefined when there is nothing to add.
 */
export function describeWatchdog(
  r: WatchdogReport | undefined,
  known: Iterable<number>,
): string | undefined {
  if (!r) return undefined;
  const parts: string[] = [];
  if (r.resumed.length) {
    const told = new Set(known);
    const unknown = r.resumed.filter((p) => !told.has(p));
    parts.push(
      `the loader's watchdog resumed ${r.resumed.length} (${pidList(r.resumed)})` +
        (unknown.length
          ? `, ${unknown.length} of them unknown to the capture (stops unread as the loader died)`
          : ""),
    );
  }
  if (r.unsettled) {
    parts.push(
      `${r.unsettled} stop${r.unsettled === 1 ? " was" : "s were"} still under way a second ` +
        "after the loader's watchdog closed the gate: a process may stay stopped",
    );
  }
  for (const e of r.errors) parts.push(`the loader's watchdog: ${e}`);
  if (!r.done) {
    parts.push(
      "the loader's watchdog did not report (ended too?): a process whose stop had not " +
        "reached the capture may stay stopped",
    );
  }
  return parts.length ? parts.join("; ") : undefined;
}
