/**
 * Executes every notebook that has its inputs, headless (`jupyter nbconvert --execute` with the
 * Deno kernel), and fails on any cell error, so the notebooks cannot rot: the exploration
 * notebook (on a copy of a fixture recording), the overhead notebook (on
 * `reports/bench/overhead.json`), and each case study when its recording is given
 * (`SIGHTLINE_CASE_INJECTION`, `..._LOOP`, `..._TEAM`) or is in `datasets/`. A case study
 * without its recording is skipped, saying so; that it then fails at once, saying how to give
 * one, is tested too. Skipped only when Jupyter is missing and CI is unset.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  caseRecording,
  type CaseStudy,
  envVarOf,
  hasCaseInput,
  loadOverhead,
  OVERHEAD_JSON,
  overheadRows,
} from "./mod.ts";
import { ensureDenoKernel, type Executed, executeNotebook, jupyterMissing } from "./jupyter.ts";
import { signedPct } from "../reports/overhead_table.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const missing = jupyterMissing();
const noJupyter = missing !== null && !Deno.env.get("CI");
if (noJupyter) console.warn(`notebooks_test: skipped: ${missing}`);

let kernel: Promise<string> | null = null;

async function run(name: string, env: Record<string, string> = {}): Promise<Executed> {
  kernel ??= ensureDenoKernel();
  await kernel;
  const out = mkdtempSync(join(tmpdir(), "sightline-notebook-out-"));
  try {
    return await executeNotebook(join(HERE, name), out, { env });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function assertRan(r: Executed) {
  assert.deepEqual(
    r.errors,
    [],
    `cells failed:\n${r.errors.map((e) => `cell ${e.cell}: ${e.ename}: ${e.evalue}`).join("\n")}`,
  );
  assert.equal(r.code, 0, r.stderr);
}

const allText = (r: Executed) => r.texts.flat().join("\n");

Deno.test({
  name: "notebook explore_recording.ipynb runs on a real recording",
  ignore: noJupyter,
  async fn() {
    const r = await run("explore_recording.ipynb", { SIGHTLINE_RECORDING: "" });
    assertRan(r);
    const text = allText(r);
    assert.match(text, /\*\*claude_tool_marker\*\*/);
    assert.match(text, /- 2 LLM calls/);
    assert.match(text, /\| llm_call_id \| agent \| kind \| model \|/);
    assert.match(text, /\| 1 \| 1 \| Bash \|/, "the tool call and its result");
    assert.match(text, /marker\.txt \| 1 \| \/usr\/bin\/tee \|/, "the file the tool wrote");
    for (
      const c of ["Timeline", "Tokens over time", "Latency per LLM call", "File events per 100 ms"]
    ) {
      assert.match(text, new RegExp(`\\[chart: ${c}, [1-9]\\d* marks\\]`));
    }
    assert.equal(r.mimeCounts["image/svg+xml"], 4);
  },
});

Deno.test({
  name: "notebook overhead.ipynb rebuilds the overhead table from the benchmark's output",
  ignore: noJupyter || !existsSync(OVERHEAD_JSON),
  async fn() {
    const r = await run("overhead.ipynb");
    assertRan(r);
    const text = allText(r);
    const rows = overheadRows(loadOverhead());
    for (const row of rows) {
      assert.ok(
        text.includes(`| ${row.agent} | ${row.task} |`) &&
          text.includes(
            `${signedPct(row.pct)} | [${signedPct(row.loPct)}, ${signedPct(row.hiPct)}] |`,
          ),
        `${row.agent} ${row.task} in the table`,
      );
    }
    assert.match(text, new RegExp(`All ${rows.length} cells agree`));
    assert.match(text, /\| Understand repo \| \+3\.4% \|/);
    assert.equal(r.mimeCounts["image/svg+xml"], 1);
  },
});

const CASES: [string, CaseStudy, RegExp][] = [
  ["case_injection.ipynb", "injection", /\| t_s \| step \| tool_call_id \|/],
  ["case_reasoning_loop.ipynb", "loop", /identical \w+ calls failing|No loop in this recording/],
  ["case_multi_agent.ipynb", "team", /\| session_id \| agent \| prompt \| wall_ms \|/],
];

for (const [notebook, study, shows] of CASES) {
  const have = hasCaseInput(study);
  Deno.test({
    name: `notebook ${notebook} runs on its recording` +
      (have ? "" : ` (skipped: no recording; set ${envVarOf(study)} or add one to datasets/)`),
    ignore: noJupyter || !have,
    async fn() {
      const r = await run(notebook, { [envVarOf(study)]: caseRecording(study) });
      assertRan(r);
      const text = allText(r);
      assert.match(text, shows);
      assert.match(text, /\| finding_id \| session_id \| kind \| severity \|/);
      assert.ok((r.mimeCounts["image/svg+xml"] ?? 0) >= 1);
    },
  });
}

Deno.test({
  name: "a case-study notebook without its recording fails at once, saying how to give one",
  ignore: noJupyter,
  async fn() {
    const r = await run("case_injection.ipynb", { [envVarOf("injection")]: "/nonexistent/rec" });
    assert.notEqual(r.code, 0);
    assert.equal(r.errors.length, 1);
    assert.match(
      r.errors[0].evalue,
      /SIGHTLINE_CASE_INJECTION=\/nonexistent\/rec: not a recording/,
    );
  },
});
