/**
 * Makes the datasets in datasets/: small real recordings of the real agents, made by the
 * project's own commands (capture under the agent runner, against the scripted model server).
 * Needs root (capture). Rewrites datasets/ only with --update (all, or those named):
 *
 *   deno run -A datasets/make_datasets.ts --update [NAME...]
 *
 * Each dataset is a recording directory (manifest.json + its Arrow files) without its
 * analysis.duckdb, which `deno task analyze` rebuilds anywhere. README.md lists them all.
 */
import { CliError, parseCommand, runCommand } from "../kit/cli.ts";
import { fileURLToPath } from "node:url";
import { recordStudy, recordTeam } from "../lab/case_studies/case_studies.ts";
import { underCapture } from "../lab/agents/under_capture.ts";
import { runAgent } from "../lab/agents/run_agent.ts";
import type { AgentName, CodexTransport } from "../lab/agents/agent_profile.ts";
import { copyRecording, readManifest, recordingFiles } from "../recording/manifest.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * Codex's transport in the datasets: HTTP (HTTP/2, server-sent events), as they were first
 * made, not its default WebSocket: they hold the only real HTTP/2 LLM traffic the goldens read
 * (Codex over its WebSocket is in the fixtures tests/fixtures/analysis/codex_ws*). The other
 * agents ignore it.
 */
const CODEX_TRANSPORT: CodexTransport = "http";

export interface DatasetSpec {
  name: string;
  what: string;
  make: (dir: string) => Promise<{ ok: boolean; note?: string }>;
}

const demo = (agent: AgentName): DatasetSpec => ({
  name: `demo-${agent}`,
  what: `${agent} through lab/scenarios/demo.json (a shell command, a file write, a file read)`,
  async make(dir) {
    const r = await runAgent({
      agent,
      scenario: `${ROOT}lab/scenarios/demo.json`,
      wrap: underCapture(dir),
      transport: CODEX_TRANSPORT,
    });
    return { ok: r.exitCode === 0 };
  },
});

const study = (s: "injection" | "benign" | "loop", agent: AgentName, what: string): DatasetSpec => ({
  name: `${s}-${agent}`,
  what,
  async make(dir) {
    const r = await recordStudy(s, agent, dir, { transport: CODEX_TRANSPORT });
    return { ok: r.exitCodes.every((c) => c === 0) };
  },
});

export const DATASETS: DatasetSpec[] = [
  demo("claude"),
  demo("gemini"),
  demo("codex"),
  study("injection", "claude", "case study 1: a fetched page injects an instruction; /etc/passwd is read and posted to an attacker host"),
  study("injection", "codex", "case study 1 with Codex (HTTP/2)"),
  study("benign", "claude", "case study 1's control: the same task with a clean page"),
  study("loop", "claude", "case study 2: the model repeats a failing command"),
  study("loop", "gemini", "case study 2 with Gemini CLI"),
  {
    name: "mcp-claude",
    what:
      "claude through lab/scenarios/mcp_write_read.json: a file write and a read through the real filesystem MCP server, an echo through the everything server",
    async make(dir) {
      const r = await runAgent({
        agent: "claude",
        scenario: `${ROOT}lab/scenarios/mcp_write_read.json`,
        wrap: underCapture(dir),
      });
      return { ok: r.exitCode === 0 && r.serverErrors.length === 0 };
    },
  },
  {
    name: "team-claude-gemini-codex",
    what: "case study 3: designer (Claude), implementer (Gemini), tester (Codex) share a workspace under one capture",
    async make(dir) {
      const r = await recordTeam(["claude", "gemini", "codex"], dir, {
        transport: CODEX_TRANSPORT,
      });
      return { ok: r.exitCodes.every((c) => c === 0) };
    },
  },
];

function kib(n: number) {
  return `${Math.round(n / 1024)} KiB`;
}

const USAGE = "usage: deno run -A datasets/make_datasets.ts --update [NAME...]";

async function main(args: string[]) {
  const p = parseCommand(args, { update: { type: "boolean" } });
  const values = p.values;
  const positionals: string[] = p.positionals;
  if (!values.update) {
    throw new CliError("this rewrites datasets/; run with --update [NAME...] (as root)", 2);
  }
  const unknown = positionals.filter((n) => !DATASETS.some((d) => d.name === n));
  if (unknown.length) {
    throw new CliError(
      `no dataset ${unknown[0]} (have: ${DATASETS.map((d) => d.name).join(", ")})`,
      2,
    );
  }
  const tmp = await Deno.makeTempDir({ prefix: "sl-datasets-" });
  for (const d of DATASETS.filter((d) => !positionals.length || positionals.includes(d.name))) {
    const rec = `${tmp}/${d.name}`;
    const t0 = performance.now();
    const r = await d.make(rec);
    if (!r.ok) throw new Error(`${d.name}: the agent run failed`);
    const dest = `${HERE}${d.name}`;
    await Deno.remove(dest, { recursive: true }).catch(() => {});
    copyRecording(rec, dest);
    console.log(`${d.name}: made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const rows: string[] = [];
  for (const d of DATASETS) {
    const dest = `${HERE}${d.name}`;
    let size = 0;
    for (const f of recordingFiles(dest)) size += (await Deno.stat(`${dest}/${f}`)).size;
    const m = readManifest(dest);
    const rowsN = Object.entries(m.tables).map(([k, v]) => `${k} ${v.rows}`).join(", ");
    rows.push(`| \`${d.name}\` | ${d.what} | ${kib(size)} | ${rowsN} |`);
  }
  // the agents the datasets run (the pinned list also holds agents no dataset uses)
  const pinned = JSON.parse(await Deno.readTextFile(`${ROOT}lab/agents/package.json`)).dependencies;
  const versions = Object.fromEntries(
    ["@anthropic-ai/claude-code", "@google/gemini-cli", "@openai/codex"].map((k) => [k, pinned[k]]),
  );
  await Deno.writeTextFile(`${HERE}README.md`, readme(rows, versions));
  await Deno.remove(tmp, { recursive: true });
}

function readme(rows: string[], versions: Record<string, string>): string {
  return `# Datasets

<!-- written by datasets/make_datasets.ts --update -->

Small real recordings, made by the project's own commands: each real agent run under
\`deno task capture\` through the agent runner, offline against the scripted model server
(scenarios in \`lab/scenarios/\`). They hold what the capture wrote — \`manifest.json\` and its
Arrow files — not \`analysis.duckdb\`, which \`deno task analyze\` rebuilds (copy a dataset
somewhere writable first; analysis writes beside the recording).

Agents: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(", ")}.
Remade with \`deno run -A datasets/make_datasets.ts --update [NAME...]\` (root; about two minutes
for all).
Secret headers were redacted at capture (the keys were dummies anyway); paths and host name
are those of the machine that made them.
Codex runs over HTTP (\`--transport http\`: HTTP/2 and server-sent events), as when these were
first made, not over its default WebSocket: they hold the only real HTTP/2 LLM traffic here.
The datasets with Codex (demo-codex, injection-codex, the team) were remade once the capture
kept command lines whole up to 1 MiB (manifest \`exec_argv\`): Codex runs each command inside
its shell snapshot, a \`bash -c\` script of ~38 KB, which their \`argv\` holds whole, the
command at its end. The others were recorded before (no \`exec_argv\`, no \`ipc.arrow\` or
\`privilege.arrow\`); none of their command lines came near the 16 KiB kept then.

| dataset | what | size | rows |
| --- | --- | --: | --- |
${rows.join("\n")}

Used by \`datasets/datasets_test.ts\` (analysis and detectors on real data, no root needed) and by
the case-study notebooks in \`notebooks/\`.
`;
}

if (import.meta.main) await runCommand("datasets", USAGE, main);
