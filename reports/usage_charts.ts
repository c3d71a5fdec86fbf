/**
 * What the LLM calls cost: tokens per call over time (stacked by kind, with the running
 * total), cost over time (each priced call a point coloured by model, with the running total),
 * tokens and cost per model, and the latency of each call (time to first token and total).
 * Every mark layer is named; its marks are the SVG group `<name>_marks`.
 */
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from "./vega.ts";
import type { LlmCall, ReportData } from "./report_data.ts";

export const TOKEN_KINDS = ["input", "output", "cache read", "cache write"] as const;

const tokensOf = (c: LlmCall): Record<typeof TOKEN_KINDS[number], number | null> => ({
  input: c.inputTokens,
  output: c.outputTokens,
  "cache read": c.cacheReadTokens,
  "cache write": c.cacheWriteTokens,
});

const nominal = (field: string, title: string) => ({ field, type: "nominal" as const, title });

function shownCalls(data: ReportData): LlmCall[] {
  return data.llmCalls.slice(0, data.limits.llmCalls);
}

const secOf = (data: ReportData) => (ns: bigint) => Number(ns - data.overview.t0) / 1e9;

/** The time axis, the same as the timeline's. */
const timeX = (data: ReportData) => ({
  field: "t",
  type: "quantitative" as const,
  title: "seconds since the first process started",
  scale: { domain: [0, Math.max(data.overview.spanMs / 1000, 0.001)], nice: false },
});

/** Token bars coloured by kind, with a tooltip of `by`, the kind and the count. */
function byTokenKind(by: string) {
  return {
    color: {
      field: "kind",
      type: "nominal",
      scale: { domain: [...TOKEN_KINDS] },
      title: "tokens",
    },
    tooltip: [nominal(by, by), nominal("kind", "kind"), { field: "tokens", type: "quantitative" }],
  };
}

/** Tokens of each call at its request time, stacked by kind, and the running total. */
export function tokensSpec(data: ReportData): VegaLiteSpec {
  const sec = secOf(data);
  const calls = shownCalls(data).filter((c) => c.requestNs !== null);
  const bars = calls.flatMap((c) =>
    Object.entries(tokensOf(c)).filter(([, v]) => v !== null && v > 0).map(([kind, v]) => ({
      t: sec(c.requestNs!),
      call: `#${c.id} ${c.model ?? "?"}`,
      kind,
      tokens: v,
    }))
  );
  let total = 0;
  const running = calls.map((c) => {
    total += Object.values(tokensOf(c)).reduce((a: number, v) => a + (v ?? 0), 0);
    return { t: sec(c.requestNs!), total, call: `#${c.id}` };
  });
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: "Tokens over time", subtitle: "per LLM call by kind; line: running total" },
    width: 700,
    height: 220,
    layer: [
      {
        name: "tokens",
        data: { values: bars },
        mark: { type: "bar", size: 6 },
        encoding: {
          x: timeX(data),
          y: { field: "tokens", type: "quantitative", stack: true, title: "tokens per call" },
          ...byTokenKind("call"),
        },
      },
      {
        name: "tokens_total",
        data: { values: running },
        mark: { type: "line", interpolate: "step-after", color: "#333", strokeDash: [4, 2] },
        encoding: {
          x: timeX(data),
          y: { field: "total", type: "quantitative", title: "running total" },
        },
      },
    ],
    resolve: { scale: { y: "independent" } },
  } as unknown as VegaLiteSpec;
}

/** Cost of each priced call (a point per call, by model) and the running total. */
export function costSpec(data: ReportData): VegaLiteSpec {
  const sec = secOf(data);
  const calls = shownCalls(data).filter((c) => c.requestNs !== null);
  const priced = calls.filter((c) => c.costUsd !== null);
  let total = 0;
  const running = priced.map((c) => {
    total += c.costUsd!;
    return { t: sec(c.requestNs!), total };
  });
  const unpriced = calls.length - priced.length;
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: "Cost over time (USD)",
      subtitle: unpriced
        ? `${unpriced} calls have no price and are not counted`
        : "every call priced",
    },
    width: 700,
    height: 200,
    layer: [
      {
        name: "cost_total",
        data: { values: running },
        mark: { type: "line", interpolate: "step-after", color: "#333" },
        encoding: {
          x: timeX(data),
          y: { field: "total", type: "quantitative", title: "USD" },
        },
      },
      {
        name: "cost_calls",
        data: {
          values: priced.map((c) => ({
            t: sec(c.requestNs!),
            cost: c.costUsd,
            model: c.model ?? "?",
            call: `#${c.id}`,
          })),
        },
        mark: { type: "point", filled: true, size: 50 },
        encoding: {
          x: timeX(data),
          y: { field: "cost", type: "quantitative" },
          color: { field: "model", type: "nominal", title: "model" },
          tooltip: [
            nominal("call", "call"),
            nominal("model", "model"),
            { field: "cost", type: "quantitative", format: ".6f", title: "USD" },
          ],
        },
      },
    ],
  } as unknown as VegaLiteSpec;
}

/** Tokens (by kind) and cost per model. */
export function modelsSpec(data: ReportData): VegaLiteSpec {
  const per = new Map<string, { tokens: Record<string, number>; cost: number; priced: number }>();
  for (const c of shownCalls(data)) {
    const m = c.model ?? "?";
    const e = per.get(m) ?? { tokens: {}, cost: 0, priced: 0 };
    for (const [k, v] of Object.entries(tokensOf(c))) e.tokens[k] = (e.tokens[k] ?? 0) + (v ?? 0);
    if (c.costUsd !== null) {
      e.cost += c.costUsd;
      e.priced++;
    }
    per.set(m, e);
  }
  const tokenRows = [...per].flatMap(([model, e]) =>
    TOKEN_KINDS.filter((k) => (e.tokens[k] ?? 0) > 0).map((kind) => ({
      model,
      kind,
      tokens: e.tokens[kind],
    }))
  );
  const costRows = [...per].filter(([, e]) => e.priced > 0).map(([model, e]) => ({
    model,
    cost: e.cost,
  }));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: "Per model",
    hconcat: [
      {
        name: "model_tokens",
        data: { values: tokenRows },
        width: 380,
        mark: "bar",
        encoding: {
          y: { field: "model", type: "nominal", title: null },
          x: { field: "tokens", type: "quantitative", stack: true, title: "tokens" },
          ...byTokenKind("model"),
        },
      },
      {
        name: "model_cost",
        data: { values: costRows },
        width: 250,
        mark: { type: "bar", color: "#72b7b2" },
        encoding: {
          y: { field: "model", type: "nominal", title: null },
          x: { field: "cost", type: "quantitative", title: "USD" },
          tooltip: [
            nominal("model", "model"),
            { field: "cost", type: "quantitative", format: ".6f", title: "USD" },
          ],
        },
      },
    ],
  } as unknown as VegaLiteSpec;
}

/** Time to first token and total duration of each call. */
export function latencySpec(data: ReportData): VegaLiteSpec {
  const rows = shownCalls(data).flatMap((c) =>
    [
      { metric: "time to first token", ms: c.ttftMs },
      { metric: "total", ms: c.durationMs },
    ].filter((m) => m.ms !== null).map((m) => ({
      call: `#${c.id}`,
      model: c.model ?? "?",
      kind: c.kind,
      ...m,
    }))
  );
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: "Latency per LLM call",
      subtitle: "request start to first token, and to the end",
    },
    width: { step: 14 },
    height: 200,
    layer: [{
      name: "latency",
      data: { values: rows },
      mark: "bar",
      encoding: {
        x: { field: "call", type: "ordinal", sort: null, title: "LLM call" },
        xOffset: { field: "metric", type: "nominal" },
        y: { field: "ms", type: "quantitative", title: "ms" },
        color: { field: "metric", type: "nominal", title: null },
        tooltip: [
          nominal("call", "call"),
          nominal("model", "model"),
          nominal("kind", "kind"),
          nominal("metric", "metric"),
          { field: "ms", type: "quantitative", format: ".1f" },
        ],
      },
    }],
  } as unknown as VegaLiteSpec;
}
