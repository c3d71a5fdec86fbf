/**
 * Walks up fork chains cut at their limit, 64 generations, each said as a `truncated` problem.
 * Processes whose program `process_programs` could not find because the walk up their forks
 * (through ancestors that had not exec'd by the fork below them) reached its limit, 64
 * generations, and would have gone on: their `exe` (and `file_events.exe`, `net_events.exe`) is
 * null from their fork until they exec. Said as one `truncated` row of source
 * `process_programs`, naming them, not left as nulls that look like an unrecorded program.
 * LLM calls whose agent `llm_call_agents.sql` names by their process's lineage, when the walk
 * stopped there before a program that names an agent: one `truncated` row of source
 * `llm_calls`, naming the processes. Agents whose ancestors `lineage` stopped following there
 * (for their `launcher` role): one `truncated` row of source `lineage`, naming the agents.
 * Each walk also stops where it meets a process already on it (a loop of recorded parents: a
 * damaged recording, or pids reused with their forks unseen): one `cycle` row of the same
 * source, naming the processes and their loop, not a `truncated` one after walking it round.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Build } from "./build_steps.ts";
import { sqlText } from "./sql_files.ts";
import { hasTables } from "../kit/sql_runner.ts";
import { errorLine } from "../kit/cli.ts";

/** What each query reads: the walk its build step left (missing when that step failed). */
const walked = {
  process_programs_cut: "process_program_walks",
  llm_calls_cut: "llm_call_names",
  lineage_cut: "lineage",
} as const;

/** The cut walks `query` reads for `recording`; none when the step that walked failed (already a
 * problem of its own: its table is missing); any other failure is a `sql` problem of `query`. */
async function cutWalks(
  c: DuckDBConnection,
  b: Build,
  query: keyof typeof walked,
  recording: string,
): Promise<unknown[][]> {
  try {
    return (await c.runAndReadAll(sqlText(query), [recording])).getRowsJS();
  } catch (e) {
    if (await hasTables(c, walked[query])) {
      b.problem(
        `${query}.sql`,
        "sql",
        `${errorLine(e)}; walks up parents cut or looped there were not checked`,
      );
    }
    return [];
  }
}

/** The first five of `rows` as `say` puts each, then how many more (`and N more NOUN`). */
function listed(rows: unknown[][], say: (row: unknown[]) => string, noun = ""): string {
  const more = rows.length > 5 ? ` and ${rows.length - 5} more${noun}` : "";
  return rows.slice(0, 5).map(say).join(", ") + more;
}

/** Says the processes of `recording` in `b` whose fork chain was too deep to follow, or looped. */
export async function deepForksProblem(
  c: DuckDBConnection,
  b: Build,
  recording: string,
): Promise<void> {
  const rows = await cutWalks(c, b, "process_programs_cut", recording);
  const proc = ([pid, _from, comm]: unknown[]) => `pid ${pid}${comm ? ` ${comm}` : ""}`;
  const cut = rows.filter((r) => r[3] === "truncated");
  if (cut.length) {
    const n = cut.length;
    b.problem(
      "process_programs",
      "truncated",
      `${n} process${n === 1 ? "'s" : "es'"} program could not be found (${listed(cut, proc)}): ` +
        "the walk up ancestors that had forked without exec'ing stopped at 64 generations; " +
        "their exe is null in process_programs, file_events and net_events from their fork " +
        "until they exec",
    );
  }
  const loops = rows.filter((r) => r[3] === "cycle");
  if (loops.length) {
    const n = loops.length;
    b.problem(
      "process_programs",
      "cycle",
      `${n} process${n === 1 ? "'s" : "es'"} program could not be found (${
        listed(loops, (r) => `${proc(r)}: ${loopSaid(r[4], [])}`, " processes")
      }): the walk up ancestors that had forked without exec'ing met a process already on ` +
        "it (the recording's parents loop: damaged, or pids reused with their forks unseen) " +
        "and was cut there; their exe is null in process_programs, file_events and net_events " +
        "from their fork until they exec",
    );
  }
}

/** Says the processes of `recording` in `b` whose LLM calls' lineage was too deep to follow to
 * a program that names an agent (sql/llm_call_agents.sql), or looped. */
export async function deepCallersProblem(
  c: DuckDBConnection,
  b: Build,
  recording: string,
): Promise<void> {
  const rows = await cutWalks(c, b, "llm_calls_cut", recording);
  const calls = (rs: unknown[][]) => rs.reduce((s, r) => s + Number(r[1]), 0);
  const proc = ([pid, n, comm]: unknown[]) => `pid ${pid}${comm ? ` ${comm}` : ""}: ${n}`;
  const cut = rows.filter((r) => r[3] === "truncated");
  if (cut.length) {
    const n = calls(cut);
    b.problem(
      "llm_calls",
      "truncated",
      `${n} LLM call${n === 1 ? "'s" : "s'"} agent may be misnamed (${
        listed(cut, proc, " processes")
      }): the walk up their process's lineage stopped at 64 generations before any ` +
        "program that names an agent; their agent is the nearest program's name, or null",
    );
  }
  const loops = rows.filter((r) => r[3] === "cycle");
  if (loops.length) {
    const n = calls(loops);
    b.problem(
      "llm_calls",
      "cycle",
      `${n} LLM call${n === 1 ? "'s" : "s'"} agent may be misnamed (${
        listed(loops, (r) => `${proc(r)}: ${loopSaid(r[4], [])}`, " processes")
      }): the walk up their process's lineage met a process already on it before any ` +
        "program that names an agent (the recording's parents loop: damaged, or pids reused " +
        "with their forks unseen) and was cut there; their agent is the nearest program's " +
        "name, or null",
    );
  }
}

/** `pid N name -> pid M name ...`: a loop of parents as a walk up met it, from the incarnation it
 * met again round to it. */
export function loopSaid(pids: unknown, names: unknown): string {
  const ns = (names ?? []) as unknown[];
  return ((pids ?? []) as unknown[]).map((p, i) => `pid ${p}${ns[i] ? ` ${ns[i]}` : ""}`)
    .join(" -> ");
}

/** Says the agents of `recording` in `b` whose ancestors were too many to follow for their
 * `launcher` role (correlate/sql/lineage.sql), and those whose ancestors loop (the walk up
 * stopped where it met one already on it); after the correlation. */
export async function deepLaunchersProblem(
  c: DuckDBConnection,
  b: Build,
  recording: string,
): Promise<void> {
  const rows = await cutWalks(c, b, "lineage_cut", recording);
  const agent = ([pid, _start, name]: unknown[]) => `pid ${pid}${name ? ` ${name}` : ""}`;
  const cut = rows.filter((r) => r[3] === "truncated");
  if (cut.length) {
    const n = cut.length;
    b.problem(
      "lineage",
      "truncated",
      `${n} agent${n === 1 ? "'s" : "s'"} ancestors were followed 64 generations up and no ` +
        `further (${listed(cut, agent)}): those above are \`outside\` in lineage, though one ` +
        "may have launched that agent alone (`launcher`)",
    );
  }
  const loops = rows.filter((r) => r[3] === "cycle");
  if (loops.length) {
    const n = loops.length;
    b.problem(
      "lineage",
      "cycle",
      `${n} agent${n === 1 ? "'s" : "s'"} recorded parents loop (${
        listed(loops, (r) => `${agent(r)}: ${loopSaid(r[4], r[5])}`, " agents")
      }): the walk up their ancestors (for the \`launcher\` role) was cut where it met a ` +
        "process already on it; the recording's parents are damaged, or pids were reused " +
        "with their forks unseen",
    );
  }
}
