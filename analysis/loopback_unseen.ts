/**
 * The `blind` problems of source `net`, said once per cause: the loopback servers outside the
 * capture that a recording with no LLM call connected to (loopbackProblem,
 * sql/loopback_servers_unseen.sql), then the processes that connected to port 443 with no TLS
 * recorded (https_unrecorded.ts). A process whose connects to 443 all went to loopback
 * addresses for each of which the first names it, with its files (no TLS of it recorded at
 * all), is left out of the second: its connects are the loopback problem's, which says all of
 * it (which process, which of its files were not hooked, that a local server outside the
 * capture, an unhooked TLS library or a connection that never got through explains them, and
 * what to do), and one cause makes one problem. Any other connect to 443 is still said.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Build } from "./build_steps.ts";
import { oneLine } from "../recording/arrow_input.ts";
import { sqlText } from "./sql_files.ts";
import { httpsUnrecordedProblem, librariesOpened } from "./https_unrecorded.ts";
import { attachStates, describeFiles, javaVm } from "./unhooked_files.ts";

/** Says both problems in `b` (see the top); `attach`: manifest.json's attach section. */
export async function blindNetProblems(
  c: DuckDBConnection,
  b: Build,
  recording: string,
  attach: unknown,
): Promise<void> {
  const said = await loopbackProblem(c, b, recording, attach);
  await httpsUnrecordedProblem(c, b, recording, attach, said);
}

/**
 * No LLM call, but connections to servers on loopback: the agent may have handed its work to a
 * local process outside the capture (a daemon it started before, as Cline 3's hub), whose
 * LLM calls are then not recorded; or the server is the model's and the process's TLS went
 * unrecorded (GitHub Copilot CLI's model calls, from a Node addon not hooked before: its
 * connects to the scripted server were all the recording held): of a process shown that has
 * no TLS recorded at all, its executable and the libraries it opened are named in
 * manifest.json attach's words (unhooked_files.ts), as for https_unrecorded. Said as a problem
 * rather than left as an empty llm_calls; not when a file of the recording is damaged or
 * records were lost, which is said already. Returns what it said of port 443, for
 * https_unrecorded to leave out: `pid address` (the address without an IPv4-mapped `::ffff:`)
 * for each loopback address whose connects to 443 it shows, all as from that pid, whose files
 * it names (a row names only its first process, and five rows are shown).
 */
export async function loopbackProblem(
  c: DuckDBConnection,
  b: Build,
  recording: string,
  attach: unknown,
): Promise<Set<string>> {
  // a damaged or lost part of the recording already says why calls may be missing
  if (b.problems.some((p) => p.kind === "file" || p.kind === "lost")) return new Set<string>();
  let rows: unknown[][];
  try {
    rows = (await c.runAndReadAll(sqlText("loopback_servers_unseen"), [recording])).getRows();
  } catch {
    return new Set(); // actions or llm_calls failed: already a problem of its own
  }
  if (!rows.length) return new Set();
  const shownRows = rows.slice(0, 5);
  const shown = shownRows.map(([address, port, n, pid, comm]) => {
    // an IPv4 peer of a dual-stack socket (Java's) as the IPv4 address it is
    const addr = String(address).replace(/^::ffff:(?=\d+\.)/, "");
    return `${addr.includes(":") ? `[${addr}]` : addr}:${port} (${n}× from pid ${pid}` +
      `${comm ? ` ${comm}` : ""})`;
  });
  const more = rows.length > 5 ? ` and ${rows.length - 5} more` : "";
  // the processes shown of which no TLS was recorded at all, each with its files in the words
  // of manifest.json's attach section (unhooked_files.ts)
  const exeOf = new Map(shownRows.map((r) => [Number(r[3]), r[5] === null ? null : String(r[5])]));
  const noTls = [...new Set(shownRows.filter((r) => r[6] === true).map((r) => Number(r[3])))];
  // port 443's addresses all of whose rows are shown, each as from one such pid
  const bare = (a: unknown) => String(a).replace(/^::ffff:/, "");
  const said443 = new Set<string>();
  for (const r of shownRows) {
    if (Number(r[1]) !== 443 || r[6] !== true) continue;
    const same = rows.filter((x) => Number(x[1]) === 443 && bare(x[0]) === bare(r[0]));
    if (same.every((x) => shownRows.includes(x) && Number(x[3]) === Number(r[3]))) {
      said443.add(`${Number(r[3])} ${bare(r[0])}`);
    }
  }
  let libs = new Map<number, string[]>();
  try {
    libs = await librariesOpened(c, recording, noTls);
  } catch (e) {
    b.problem("https_unrecorded_libs.sql", "sql", oneLine(e));
  }
  const states = attachStates(attach);
  const files = noTls.map((pid) =>
    `pid ${pid} (${describeFiles(states, exeOf.get(pid) ?? null, libs.get(pid) ?? null)})`
  );
  b.problem(
    "net",
    "blind",
    `no LLM call was recorded, but the traced processes connected to ${shown.join(", ")}${more}` +
      " on this machine's loopback: a local server the capture does not trace (an agent's " +
      "daemon started before it) may have made the calls; capture that server too (--pid or " +
      "--comm), or stop it so that the agent starts it under the capture; or the server was " +
      "the model's and the process's TLS went unrecorded (a TLS library not hooked: " +
      (files.length && noTls.every((pid) => javaVm(exeOf.get(pid) ?? null, libs.get(pid) ?? null))
        ? `no TLS was recorded at all from ${files.join("; ")}; if so, its HTTPS went through ` +
          "Java's TLS, which the capture cannot record)"
        : files.length
        ? `no TLS was recorded at all from ${files.join("; ")}; if so, the TLS stack is in ` +
          "one of the files named: report it, naming the file; manifest.json's attach section " +
          'lists the files hooked and those that could not be, "no TLS stack found in it" is ' +
          "one inspected and judged to hold none; a library mapped before the capture joined " +
          "a process, or by its parent before a fork, is not recorded and cannot be named)"
        : "manifest.json attach)") +
      // a connect is counted whether or not it got through: none may have
      "; or the connections never got through (refused, or the server gone: then nothing is " +
      "missing).",
  );
  return said443;
}
