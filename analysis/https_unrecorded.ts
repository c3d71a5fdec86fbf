/**
 * The `blind` problem (source `net`) for traced processes that connected, or tried to, to TCP
 * port 443 and of which no TLS call was recorded (https_unrecorded.sql says which connects
 * count): their HTTPS went through a TLS library the capture did not hook (a Node addon with
 * its own TLS, as GitHub Copilot CLI's `runtime.node` was), or no TLS session began. Said as a
 * problem: an empty llm_calls is otherwise all a user sees of them. Each process is named with
 * the files where its TLS could have been, in manifest.json's attach section's words
 * (unhooked_files.ts): its executable and the libraries it opened
 * (https_unrecorded_libs.sql), and what the user can do about it. A process one of whose files
 * a capture problem names already (its probes failed to attach) is left out: said there. Not
 * when a file of the recording is damaged or records were lost, which is said already. Nor a
 * process whose connects all went to loopback addresses for each of which the loopback problem
 * named it with its files (loopback_unseen.ts): one cause, one problem.
 */
import { type DuckDBConnection, DuckDBListValue } from "../kit/duckdb.ts";
import type { Build } from "./build_steps.ts";
import { queryRows } from "../kit/sql_runner.ts";
import { oneLine } from "../recording/arrow_input.ts";
import { sqlText } from "./sql_files.ts";
import {
  type AttachStates,
  attachStates,
  describeFiles,
  javaVm,
  saidAlready,
} from "./unhooked_files.ts";

/** One process https_unrecorded.sql names, with the libraries it opened (null: none recorded). */
export interface UnrecordedProcess {
  pid: number;
  comm: string | null;
  addr: string;
  connects: number;
  addrs: number;
  exe: string | null;
  libs: string[] | null;
  /** all its connects to 443 went to loopback addresses */
  loopbackOnly?: boolean;
  /** the addresses it connected to at 443 (without an IPv4-mapped `::ffff:`) */
  addrList?: string[];
}

/** How many processes the message names. */
export const PROCESSES_NAMED = 5;

/**
 * The problem's message for `procs` (those a capture problem names already left out by the
 * caller), or null for none.
 */
export function httpsUnrecordedMessage(
  procs: readonly UnrecordedProcess[],
  states: AttachStates,
): string | null {
  if (!procs.length) return null;
  const shown = procs.slice(0, PROCESSES_NAMED).map((p) =>
    `pid ${p.pid}${p.comm ? ` ${p.comm}` : ""} (${p.connects}× to ` +
    `${p.addr.includes(":") ? `[${p.addr}]` : p.addr}:443` +
    `${p.addrs > 1 ? ` and ${p.addrs - 1} more address(es)` : ""}; ` +
    `${describeFiles(states, p.exe, p.libs)})`
  );
  const more = procs.length > PROCESSES_NAMED ? ` and ${procs.length - PROCESSES_NAMED} more` : "";
  const one = procs.length === 1;
  const head = `no TLS was recorded from ${
    one ? "a traced process" : `${procs.length} traced processes`
  } that opened HTTPS connections (TCP port 443): ${shown.join(", ")}${more}. `;
  if (procs.every((p) => javaVm(p.exe, p.libs))) {
    // nothing to report: Java's TLS is known not to be recordable (unhooked_files.ts)
    return head + `Either ${one ? "its" : "their"} HTTPS went through Java's TLS, which the ` +
      "capture cannot record (LLM calls made so are missing from llm_calls), or the " +
      "connections never got through (refused, or the network unreachable: then nothing is " +
      "missing).";
  }
  return head + "Either " +
    `${one ? "its" : "their"} TLS went through code the capture did not hook, or the ` +
    "connections never got through (refused, or the network unreachable: then nothing is " +
    `missing). If LLM calls ${one ? "it" : "they"} made are missing from llm_calls, the TLS ` +
    'stack is in one of the files named: report it, naming the file ("no TLS stack found in ' +
    'it": inspected and ' +
    "judged to hold none, so absent from manifest.json's attach section, which lists the " +
    "files hooked and those that could not be). A library mapped before the capture joined " +
    "a process, or by its parent before a fork, is not recorded and cannot be named.";
}

/** The libraries each of `pids` opened (https_unrecorded_libs.sql); a pid with none is absent. */
export async function librariesOpened(
  c: DuckDBConnection,
  recording: string,
  pids: readonly number[],
): Promise<Map<number, string[]>> {
  if (!pids.length) return new Map();
  const rows = await queryRows(c, sqlText("https_unrecorded_libs"), {
    recording,
    pids: pids.map(String),
  });
  return new Map(rows.map((r) => [Number(r.pid), (r.libs as unknown[]).map(String)]));
}

/** Says the problem in `b`, if any (see the top). */
export async function httpsUnrecordedProblem(
  c: DuckDBConnection,
  b: Build,
  recording: string,
  /** manifest.json's `attach` section, as read */
  attach: unknown,
  /** `pid address` pairs the loopback problem said of port 443 with the pid's files
   * (loopback_unseen.ts): a process all of whose connects went to loopback addresses it said
   * so is left out */
  saidOnLoopback: ReadonlySet<string> = new Set(),
): Promise<void> {
  if (b.problems.some((p) => p.kind === "file" || p.kind === "lost")) return;
  let procs: UnrecordedProcess[];
  try {
    const r = await c.runAndReadAll(sqlText("https_unrecorded"), [recording]);
    procs = r.getRows().map((
      [pid, comm, addr, connects, addrs, exe, loopbackOnly, addrList],
    ) => ({
      pid: Number(pid),
      comm: comm === null ? null : String(comm),
      addr: String(addr),
      connects: Number(connects),
      addrs: Number(addrs),
      exe: exe === null ? null : String(exe),
      libs: null,
      loopbackOnly: loopbackOnly === true,
      addrList: addrList instanceof DuckDBListValue ? addrList.items.map(String) : [],
    })).filter((p) =>
      !(p.loopbackOnly && p.addrList.length > 0 &&
        p.addrList.every((a) => saidOnLoopback.has(`${p.pid} ${a}`)))
    );
    if (!procs.length) return;
    const byPid = await librariesOpened(c, recording, procs.map((p) => p.pid));
    for (const p of procs) p.libs = byPid.get(p.pid) ?? null;
  } catch (e) {
    // a step it reads (processes) failed: said already; else its own failure is said
    if (!b.problems.some((p) => p.kind === "sql" && p.source === "processes.sql")) {
      b.problem(
        "https_unrecorded.sql",
        "sql",
        `${oneLine(e)}; no process was checked for HTTPS connections without recorded TLS`,
      );
    }
    return;
  }
  const states = attachStates(attach);
  const unsaid = procs.filter((p) =>
    !saidAlready(states, [...(p.exe ? [p.exe] : []), ...(p.libs ?? [])], b.problems)
  );
  const message = httpsUnrecordedMessage(unsaid, states);
  if (message) b.problem("net", "blind", message);
}
