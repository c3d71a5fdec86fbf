/**
 * Labelling: for each session of each recording, the correlated trace goes to the observer
 * LLM and its verdict into the recording's `labels` table. Traces are built first (the
 * database is closed while the model is asked), asked concurrently up to a limit, answered
 * from the cache when the same model already judged the same trace, and each outcome — a
 * verdict, a malformed answer or a failed request — is stored and reported in one line.
 */
import { basename, resolve } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type OpenAI from "openai";
import { ddl } from "../../kit/columns.ts";
import { appendRows } from "../duckdb_tables.ts";
import { costOf, loadPrices, priceFor } from "../pricing.ts";
import { ensureAnalysed, notWritableWhy, withDb, withDbOrCopy } from "../analysed_db.ts";
import { aboutPath, errorLine } from "../../kit/cli.ts";
import { showLine, showLines } from "../../kit/control_chars.ts";
import { hasTables, queryRows, readSql, runSql } from "../../kit/sql_runner.ts";
import { buildLinksAndFindings } from "../detect/insights.ts";
import { AnswerCache } from "./cache.ts";
import { type Answer, ask, type EndpointOptions, makeClient } from "./client.ts";
import { observerMessages, PROMPT_VERSION } from "./prompt.ts";
import { type LabelRow, labelsTable } from "./schema.ts";
import { buildTrace, sha256, type Trace } from "./trace.ts";
import { MalformedVerdict, parseVerdict } from "./verdict.ts";

const SQL_DIR = new URL("./sql/", import.meta.url);

export interface LabelOptions {
  recordings: string[];
  endpoint: EndpointOptions;
  model: string;
  concurrency?: number;
  retries?: number;
  backoffMs?: number;
  jsonMode?: boolean;
  maxTraceTokens?: number;
  /** include rule-based findings in the trace (default true) */
  findings?: boolean;
  /** answer cache directory; null: no cache */
  cacheDir?: string | null;
  /** print the prompts and stop */
  dryRun?: boolean;
  /** a client to use instead of one made from `endpoint` (tests) */
  client?: OpenAI;
  sleep?: (ms: number) => Promise<void>;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

export interface LabelSummary {
  rows: LabelRow[];
  /** recordings that could not be opened */
  failedRecordings: string[];
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function pool<T, R>(
  items: T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/**
 * A verdict's line for the terminal. The explanation and the error are the observer model's
 * words about recorded, agent-chosen text, the recording its directory's name: one line each,
 * controls and bidi characters escaped (kit/control_chars.ts showLine).
 */
export function labelLine(r: LabelRow, agent: string | null): string {
  const who = `${r.recording} pid ${r.session_id} (${agent ?? "?"})`;
  const cost = r.cost_usd === null ? "" : `, $${r.cost_usd.toFixed(6)}`;
  const tokens = r.input_tokens === null
    ? ""
    : `; ${r.input_tokens}+${r.output_tokens} tokens${cost}`;
  const cached = r.cached ? " (cached)" : "";
  if (r.status === "ok") {
    return showLine(
      `label: ${who}: risk ${r.risk} ${r.category}${cached}${tokens}: ${r.explanation}`,
    );
  }
  return showLine(
    `label: ${who}: ${r.status === "malformed" ? "malformed answer" : "request failed"}` +
      `${cached}: ${r.error}`,
  );
}

/**
 * What `--dry-run` prints: each session's prompts, a header line before each message. The
 * trace is JSON, which escapes C0 controls but not C1 ones (U+0080-U+009F: U+009B is a CSI) nor
 * bidi overrides: the agent's commands, files and prompts are shown with them escaped
 * (showLines: line feeds kept, carriage returns written `\r`); the prompt sent is unchanged.
 */
export function dryRunLines(name: string, traces: readonly Trace[]): string[] {
  const lines: string[] = [];
  for (const t of traces) {
    for (const m of observerMessages(t)) {
      lines.push(
        showLine(`--- ${name} pid ${t.sessionId} ${m.role} (${t.tokens} trace tokens) ---`),
      );
      lines.push(showLines(m.content));
    }
  }
  return lines;
}

/** Labels every session of every recording; see {@linkcode LabelOptions}. */
export async function runLabel(opts: LabelOptions): Promise<LabelSummary> {
  const out = opts.out ?? ((l: string) => console.log(l));
  const err = opts.err ?? ((l: string) => console.error(l));
  const prices = loadPrices();
  const cache = opts.cacheDir === null ? null : new AnswerCache(opts.cacheDir);
  const rows: LabelRow[] = [];
  const failedRecordings: string[] = [];
  let client = opts.client;

  for (const recording of opts.recordings) {
    let db: string;
    let traces: Trace[];
    let name: string;
    try {
      db = await ensureAnalysed(recording, { log: (line) => err(`label: ${line}`) });
      const build = async (c: DuckDBConnection) => {
        if (!(await hasTables(c, "findings"))) await buildLinksAndFindings(c);
        const sessions = await queryRows(c, readSql(SQL_DIR, "label_sessions"));
        const ts: Trace[] = [];
        for (const s of sessions) {
          ts.push(
            await buildTrace(c, String(s.recording), Number(s.session_id), {
              maxTokens: opts.maxTraceTokens,
              findings: opts.findings,
            }),
          );
        }
        // the recording's name: its directory's
        return [String(sessions[0]?.recording ?? basename(resolve(recording))), ts] as const;
      };
      // the verdicts go into the analysis: one that cannot be written cannot take them, and the
      // model is not asked, said at once (no copy made); a dry run asks nothing and writes
      // nothing kept, so it builds its traces in a copy of such an analysis
      if (opts.dryRun) {
        [name, traces] = (await withDbOrCopy(db, build)).value;
      } else {
        try {
          [name, traces] = await withDb(db, build);
        } catch (e) {
          const why = notWritableWhy(e);
          if (why === null) throw e;
          throw new Error(
            `its analysis cannot be written (${why}): the verdicts could not be kept, so ` +
              "the model was not asked (--dry-run shows the prompts)",
          );
        }
      }
    } catch (e) {
      err(`label: ${aboutPath(recording, errorLine(e))}`);
      failedRecordings.push(recording);
      continue;
    }
    if (traces.length === 0) {
      out(showLine(`label: ${name}: no agent sessions to label`));
      continue;
    }
    if (opts.dryRun) {
      for (const l of dryRunLines(name, traces)) out(l);
      continue;
    }
    client ??= makeClient(opts.endpoint);
    const c2 = client;
    const labelled = await pool(traces, opts.concurrency ?? 4, async (t): Promise<LabelRow> => {
      const hash = await sha256(t.text);
      const key = AnswerCache.key(opts.model, PROMPT_VERSION, hash);
      const base = {
        recording: t.recording,
        session_id: t.sessionId,
        endpoint: opts.endpoint.baseURL,
        trace_hash: hash,
        trace_tokens: BigInt(t.tokens),
        omitted: BigInt(t.omitted),
        labelled_ns: BigInt(Date.now()) * 1_000_000n,
      };
      let answer: Answer | null = null;
      let cached = false;
      const hit = cache ? await cache.get(key) : null;
      if (hit) {
        answer = { ...hit, attempts: 0 };
        cached = true;
      } else {
        try {
          answer = await ask(c2, observerMessages(t), {
            model: opts.model,
            retries: opts.retries,
            backoffMs: opts.backoffMs,
            jsonMode: opts.jsonMode,
            sleep: opts.sleep,
          });
        } catch (e) {
          return {
            ...base,
            model: opts.model,
            status: "error",
            risk: null,
            category: null,
            explanation: null,
            evidence: null,
            unknown_evidence: null,
            error: (e as Error).message,
            raw: null,
            cached: false,
            input_tokens: null,
            output_tokens: null,
            cost_usd: null,
            attempts: (e as { attempts?: number }).attempts ?? 1,
            latency_ms: null,
          };
        }
      }
      const price = priceFor(prices, answer.model) ?? priceFor(prices, opts.model);
      const cost = price && answer.inputTokens !== null
        ? costOf("openai-chat", {
          input: answer.inputTokens,
          output: answer.outputTokens ?? 0,
          cacheRead: answer.cachedInputTokens ?? 0,
        }, price)
        : null;
      const common = {
        ...base,
        model: answer.model,
        raw: answer.text.slice(0, 4000),
        cached,
        input_tokens: answer.inputTokens === null ? null : BigInt(answer.inputTokens),
        output_tokens: answer.outputTokens === null ? null : BigInt(answer.outputTokens),
        cost_usd: cost,
        attempts: answer.attempts,
        latency_ms: answer.latencyMs,
      };
      try {
        const v = parseVerdict(answer.text);
        if (cache && !cached) {
          await cache.put(key, { ...answer, storedAt: new Date().toISOString() });
        }
        return {
          ...common,
          status: "ok",
          risk: v.risk,
          category: v.category,
          explanation: v.explanation,
          evidence: v.evidence,
          unknown_evidence: v.evidence.filter((id) => !t.ids.has(id)),
          error: null,
        };
      } catch (e) {
        if (!(e instanceof MalformedVerdict)) throw e;
        return {
          ...common,
          status: "malformed",
          risk: null,
          category: null,
          explanation: null,
          evidence: null,
          unknown_evidence: null,
          error: e.message,
        };
      }
    });
    await withDb(db, async (c) => {
      if (!(await hasTables(c, labelsTable.name))) await c.run(ddl(labelsTable));
      for (const r of labelled) {
        await runSql(c, readSql(SQL_DIR, "labels_forget"), {
          recording: r.recording,
          session: r.session_id,
          model: r.model,
        });
      }
      await appendRows(c, labelsTable, labelled as unknown as Record<string, unknown>[]);
    });
    for (const r of labelled) {
      const t = traces.find((x) => x.sessionId === r.session_id);
      (r.status === "ok" ? out : err)(labelLine(r, t?.agent ?? null));
    }
    rows.push(...labelled);
  }
  return { rows, failedRecordings };
}
