/**
 * The README's main job (`./sightline demo`, `deno task demo`): runs the real agents through
 * a scenario with a shell command, a file write and a file read, each under capture, then
 * analyses the recordings and shows what happened — the LLM calls, the commands the agents
 * ran and the tool call each answered to, the files they touched, the findings — writes an
 * HTML report per recording, and says where everything is.
 */
import { fileURLToPath } from "node:url";
import {
  CliError,
  listOption,
  newTimestampedDir,
  parseCommand,
  runCommand,
  stopOnSignals,
  userNewPath,
} from "../../kit/cli.ts";
import { withDb } from "../../analysis/analysed_db.ts";
import { DB_FILE, run as analyze } from "../../analysis/analyze.ts";
import { run as sql } from "../../analysis/sql.ts";
import { formatResult } from "../../analysis/table_output.ts";
import { buildReport } from "../../reports/report.ts";
import { bindFor, readSql, type SqlValue } from "../../kit/sql_runner.ts";
import { AGENT_NAMES, type AgentName, CORE_AGENTS } from "./agent_profile.ts";
import { underCapture } from "./under_capture.ts";
import { runAgent } from "./run_agent.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SCENARIO = `${ROOT}lab/scenarios/demo.json`;
/** The demo's queries, `sql/demo_*.sql`. */
export const DEMO_SQL = new URL("./sql/", import.meta.url);

export interface DemoOptions {
  agents: AgentName[];
  /** where the recordings go (default a new recordings/<time>-demo) */
  out?: string;
}

const say = (s = "") => console.log(s);

/** Runs the demo; returns the exit code. */
export async function run(opts: DemoOptions): Promise<number> {
  const out = opts.out ?? newTimestampedDir("demo");
  say(
    `Sightline demo: ${opts.agents.join(", ")} under capture, against the scripted model server`,
  );
  say(`scenario: ${SCENARIO}\n`);
  const recordings: string[] = [];
  const workdirs = new Map<string, string>();
  let failures = 0;
  for (const agent of opts.agents) {
    const rec = `${out}/${agent}`;
    const t0 = performance.now();
    const r = await runAgent({
      agent,
      scenario: SCENARIO,
      wrap: underCapture(rec),
    });
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    const answer = r.stdout.trim().split("\n").filter((l) => l.trim()).at(-1) ??
      "";
    workdirs.set(rec, r.workdir);
    if (r.exitCode === 0) {
      say(`▸ ${agent}: done in ${secs} s — "${answer.slice(0, 100)}"`);
      recordings.push(rec);
    } else {
      failures++;
      say(
        `▸ ${agent}: FAILED (exit ${r.exitCode ?? r.signal}) after ${secs} s`,
      );
      say(
        r.stderr.trim().split("\n").slice(-5).map((l) => `    ${l}`).join("\n"),
      );
      try {
        Deno.statSync(`${rec}/manifest.json`);
        recordings.push(rec); // what was recorded is still worth a look
      } catch { /* nothing recorded */ }
    }
  }
  if (!recordings.length) return 1;

  say("\n== What the analysis says ==");
  await analyze({ recordings, quiet: true });

  say("\n== LLM calls seen in the TLS plaintext ==");
  await sql({ recordings, query: readSql(DEMO_SQL, "demo_llm_calls") });
  say("\n== Commands the agents ran, and the tool call that asked for each ==");
  await sql({ recordings, query: readSql(DEMO_SQL, "demo_commands") });
  say("\n== Files they changed in their working directory ==");
  for (const rec of recordings) {
    const workdir = workdirs.get(rec)!;
    say(`${rec.split("/").pop()} (${workdir}):`);
    say(await query(rec, readSql(DEMO_SQL, "demo_changed_files"), { workdir }));
  }
  say("\n== Reports ==");
  for (const rec of recordings) {
    const r = await buildReport({ recording: rec, log: () => {} });
    say(
      `${rec.split("/").pop()}: ${r.dir}/report.html (open it in a browser; works offline)`,
    );
  }
  say(`\nRecordings: ${out}/{${opts.agents.join(",")}}`);
  say(`Query them: deno task sql ${out}/* -- "SELECT * FROM llm_calls"`);
  return failures ? 1 : 0;
}

/** Runs a query with bound values on a recording's analysis database; a printable table. */
async function query(
  rec: string,
  text: string,
  values: Record<string, SqlValue>,
): Promise<string> {
  return await withDb(`${rec}/${DB_FILE}`, async (c) => {
    const r = await c.runAndReadAll(text, bindFor(text, values) as never);
    return formatResult(
      { columns: r.columnNames(), rows: r.getRows() },
      "table",
      70,
    );
  }, { readOnly: true });
}

const USAGE = "usage: deno task demo [--agents claude,gemini,codex] [--out DIR]";

if (import.meta.main) {
  stopOnSignals("demo");
  await runCommand("demo", USAGE, async (args) => {
    const { values } = parseCommand(args, {
      agents: { type: "string" },
      out: { type: "string" },
    }, { positionals: false });
    const agents = listOption(
      "agents",
      values.agents ?? CORE_AGENTS.join(","),
      AGENT_NAMES,
      "agent",
    );
    if (Deno.uid() !== 0) {
      throw new CliError(
        "capture needs root (eBPF): run it as root, e.g. sudo ./sightline demo",
      );
    }
    return await run({
      agents,
      out: values.out && userNewPath(values.out),
    });
  });
}
