/**
 * The case-study notebooks' queries and charts (SQL in `sql/<name>.sql`): the findings of a
 * recording; the chain of a prompt injection (instructions in a tool result, sensitive reads,
 * destinations outside the allowlist); the runs of a reasoning loop with the tokens spent
 * until the alert; where each agent of a team spent its time and which files they shared.
 * They need correlation's and the detectors' tables (`openRecording(dir, { insights: true })`
 * builds them).
 */
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from "../reports/vega.ts";
import { chart, type Displayable, type Rows } from "./display.ts";
import type { Recording } from "./recording.ts";

export type CaseSql =
  | "findings_list"
  | "injection_chain"
  | "loop_cycles"
  | "call_tokens"
  | "team_activity"
  | "file_sharing_list";

const SQL_DIR = new URL("./sql/", import.meta.url);

/** Tables the case studies read, by the step that makes them. */
const NEEDS = ["links", "findings", "injection_texts", "tool_cycles", "agent_activity"];

/** Throws, naming what is missing and how to make it, unless the insight tables are there. */
export function requireInsights(rec: Recording): void {
  const missing = NEEDS.filter((t) => !rec.has(t));
  if (missing.length) {
    throw new Error(
      `${rec.dir}: no ${missing.join(", ")} table: build them with ` +
        `deno task findings ${rec.dir}`,
    );
  }
}

/** Rows of `sql/<name>.sql`. */
export async function caseRows(rec: Recording, name: CaseSql): Promise<Rows> {
  return await rec.rows({ dir: SQL_DIR, name });
}

const num = (v: unknown) => typeof v === "bigint" ? Number(v) : Number(v ?? 0);

/** Running tokens of each session's LLM calls, with the alert times of its loops as rules. */
export async function loopChart(rec: Recording): Promise<Displayable> {
  const calls = (await caseRows(rec, "call_tokens")).map((r) => ({
    t: num(r.t_s),
    tokens: num(r.running_tokens),
    session: String(r.session_id),
    call: `#${r.llm_call_id}`,
  }));
  const alerts = (await caseRows(rec, "loop_cycles")).filter((r) => r.alert_s !== null).map(
    (r) => ({ t: num(r.alert_s), what: `alert: ${r.cycles} × ${r.name}` }),
  );
  const spec = {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: "Tokens spent, and when the loop alert fired" },
    width: 600,
    height: 220,
    layer: [
      {
        name: "spent",
        data: { values: calls },
        mark: { type: "line", point: true, interpolate: "step-after" },
        encoding: {
          x: { field: "t", type: "quantitative", title: "seconds since the first process started" },
          y: { field: "tokens", type: "quantitative", title: "tokens so far (input + output)" },
          color: { field: "session", type: "nominal", title: "session" },
          tooltip: [{ field: "call" }, { field: "tokens", type: "quantitative" }],
        },
      },
      {
        name: "alerts",
        data: { values: alerts },
        mark: { type: "rule", color: "#d62728", strokeDash: [4, 3] },
        encoding: {
          x: { field: "t", type: "quantitative" },
          tooltip: [{ field: "what" }],
        },
      },
    ],
  } as unknown as VegaLiteSpec;
  return await chart(spec);
}

/** Each session's wall-clock time split into model, tools (blocked apart) and waiting. */
export async function activityChart(rec: Recording): Promise<Displayable> {
  const rows = (await caseRows(rec, "team_activity")).flatMap((r) => {
    const label = `${r.session_id} ${r.agent ?? "?"}`;
    const tool = Math.max(0, num(r.tool_ms) - num(r.blocked_ms));
    return [
      { session: label, part: "waiting for its model", ms: num(r.model_ms) },
      { session: label, part: "running tools", ms: tool },
      { session: label, part: "blocked on another agent", ms: num(r.blocked_ms) },
      { session: label, part: "other", ms: num(r.waiting_ms) },
    ];
  });
  const spec = {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: "Where each agent's time went" },
    width: 600,
    data: { values: rows },
    mark: "bar",
    encoding: {
      y: { field: "session", type: "nominal", title: "session (agent pid)" },
      x: { field: "ms", type: "quantitative", stack: true, title: "ms" },
      color: {
        field: "part",
        type: "nominal",
        title: null,
        scale: {
          domain: ["waiting for its model", "running tools", "blocked on another agent", "other"],
        },
      },
      tooltip: [{ field: "session" }, { field: "part" }, {
        field: "ms",
        type: "quantitative",
        format: ".0f",
      }],
    },
  } as unknown as VegaLiteSpec;
  return await chart(spec);
}
