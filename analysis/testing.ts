/**
 * Test support for the analysis tests (not part of the public API): the real-agent fixtures
 * and their record of what the server received and sent, re-chunking a recording's TLS rows
 * (to check that the analysis does not depend on how bytes were split into TLS calls), a
 * fixture analysed in a temporary copy, and a JSON-friendly digest of the built tables for golden
 * files.
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import {
  type Connection,
  rebuildConnections,
  rowData,
  type TlsView,
  tlsView as viewOf,
  tlsViewOf,
} from "./byte_streams.ts";
import { existsSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { analyzeRecording, type RecordingSummary } from "./analyze.ts";
import { withDb } from "./analysed_db.ts";
import { chunkings } from "../protocols/testing.ts";
import { buildHttpTables, connectionExchanges, type HttpTables } from "./http_tables.ts";
import { loadPrices, type PriceTable } from "./pricing.ts";
import { openRecording } from "./recording_input.ts";
import { concatBytes } from "../kit/bytes.ts";
import { queryRows, type SqlValue } from "../kit/sql_runner.ts";
import { sqlText } from "./sql_files.ts";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { LlmCallRow } from "./schema.ts";
import { copyRecording } from "../recording/manifest.ts";

export const FIXTURES = filePath("../tests/fixtures/analysis/", import.meta.url);
export const AGENT_FIXTURES = ["claude", "gemini", "codex"] as const;
/** Codex in its default transport, Responses over WebSocket: compressed with context takeover
 * (in 64-byte fragments), without it, and with compression refused by the server. */
export const WS_FIXTURES = ["codex_ws", "codex_ws_no_context", "codex_ws_refused"] as const;
export const UPDATE = Deno.args.includes("--update");

const ROOT = filePath("../", import.meta.url);
const DATASETS = filePath("../datasets/", import.meta.url);

/** Runs `deno task --quiet ARGS` in the project as a user would (`env` added to the environment). */
export async function denoTask(args: string[], env?: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Copies of datasets (their Arrow files and manifest) in a new temporary directory (the
 * analysis writes beside a recording).
 */
export async function datasetCopies(names: string[], prefix: string) {
  const tmp = await Deno.makeTempDir({ prefix });
  const recs = names.map((name) => copyRecording(`${DATASETS}${name}`, `${tmp}/${name}`));
  return { tmp, recs };
}

/**
 * A copy of the recording in `from` (its own files: recording/manifest.ts `copyRecording`) in
 * a new temporary directory, named `name` there (default: as `from` is); returns its path.
 */
export async function recordingCopy(
  from: string,
  o: { prefix?: string; name?: string } = {},
): Promise<string> {
  const tmp = await Deno.makeTempDir({ prefix: o.prefix ?? "sl-rec-" });
  return copyRecording(from, join(tmp, o.name ?? basename(from)));
}

/** Analyses the recording in `dir` quietly (its problems are in the summary). */
export function analysed(dir: string): Promise<RecordingSummary> {
  return analyzeRecording(dir, prices, { quiet: true, err: () => {} });
}

/**
 * The recording in `from` (a fixture's or a dataset's directory) analysed in a new temporary
 * copy (`recordingCopy`): the analysis's summary, with the copy's `dir` and its `db`.
 */
export async function analysedCopy(
  from: string,
  o: { prefix?: string; name?: string } = {},
): Promise<RecordingSummary> {
  return analysed(await recordingCopy(from, o));
}
const dirsIn = (dir: string) =>
  [...Deno.readDirSync(dir)].filter((e) => e.isDirectory).map((e) => `${dir}${e.name}`);
/**
 * Agent fixtures whose LLM traffic is cleartext HTTP on loopback TCP, in `ipc.arrow`, not in
 * `tls.arrow` (cleartext_fixture_test.ts; through a proxy's CONNECT tunnel:
 * tunnel_fixture_test.ts).
 */
export const CLEARTEXT_FIXTURES = ["claude_plain_http", "gemini_proxy_plain_http"] as const;
/**
 * Every committed recording with TLS traffic: the datasets and the agent fixtures (but the
 * cleartext ones), sorted by path.
 */
export const COMMITTED_RECORDINGS: readonly string[] = [
  ...dirsIn(DATASETS),
  ...dirsIn(FIXTURES).filter((d) =>
    !CLEARTEXT_FIXTURES.some((n) => d.endsWith(`/${n}_tool_marker`))
  ),
].sort();

export interface Served {
  agent: string;
  transport?: string;
  compression?: string;
  requests: {
    method: string;
    path: string;
    kind: string;
    side?: string;
    httpVersion?: string;
    bodySize: number;
    status: number;
    /** input items of the request the server saw (over a WebSocket: its chain resolved) */
    inputItems?: number;
  }[];
  /** what the scripted model server served (its transcript file, lab/simulator/transcript.ts) */
  transcript: {
    exchanges: {
      method: string;
      path: string;
      status: number;
      streaming: boolean;
      body?: string;
    }[];
  };
}

export function fixtureDir(agent: string): string {
  return `${FIXTURES}${agent}_tool_marker`;
}

/**
 * Fixture `name` (its `_tool_marker` recording) analysed in a temporary copy, removed afterwards;
 * `fn` queries its database (`$name` values bound), read-only.
 */
export async function analysedFixture<T>(
  name: string,
  fn: (
    q: (sql: string, values?: Record<string, SqlValue>) => Promise<Record<string, unknown>[]>,
  ) => Promise<T>,
): Promise<T> {
  const dir = await recordingCopy(fixtureDir(name), { prefix: `sightline-${name}-`, name });
  try {
    const s = await analysed(dir);
    return await withDb(s.db, (c) => fn((sql, values) => queryRows(c, sql, values)), {
      readOnly: true,
    });
  } finally {
    rmSync(dirname(dir), { recursive: true, force: true });
  }
}

export function served(agent: string): Served {
  return JSON.parse(Deno.readTextFileSync(`${fixtureDir(agent)}/served.json`));
}

export function fixtureTls(agent: string): TlsView {
  return viewOf(openRecording(fixtureDir(agent)).tables.get("tls")!);
}

/**
 * The default price table, with a test price for each model the scenarios, fixtures and test
 * cases name that it has no entry for (OpenAI's and Google's: no page of theirs was available
 * offline; a local model): the tests check that calls are priced as the table says, whatever
 * the rates. A user's analysis uses the default table, where those calls are unpriced, said.
 */
export const prices: PriceTable = {
  ...loadPrices(),
  models: [
    ...loadPrices().models,
    ...[
      "gpt-5.5",
      "gpt-5-codex",
      "gpt-5",
      "gpt-4o",
      "gpt-4.1-mini",
      "gemini-3.8-flash",
      "gemini-3.5-flash-lite",
      "gemini-2.5-pro",
      "qwen3:8b",
      "qwen3-coder-plus",
      "o4-mini",
    ].map((match) => ({
      match,
      input: 1,
      output: 8,
      cache_read: 0.1,
      cache_write: 0,
      source: "test price (analysis/testing.ts), not the vendor's",
    })),
  ],
};

/** One hand-made TLS call: its direction, its bytes (text is UTF-8) and, if not the view's
 * default, its connection. */
export type HandCall = readonly ["write" | "read", string | Uint8Array, bigint?];

/**
 * A TLS view of hand-made calls, in order: every call whole (not truncated, nothing lost), of
 * process `pid`, on connection `connId` (generation 0) unless the call names its own, numbered
 * by connection and direction from 0, the i-th (from 0) at time `step` * (i + 1) ns.
 */
export function handView(
  calls: readonly HandCall[],
  o: { pid: number; connId: bigint; step: bigint; lib?: string },
): TlsView {
  const data = calls.map(([, b]) => typeof b === "string" ? new TextEncoder().encode(b) : b);
  const seqs = new Map<string, bigint>();
  return {
    length: calls.length,
    pid: calls.map(() => o.pid),
    connId: calls.map(([, , c]) => c ?? o.connId),
    connGen: calls.map(() => 0),
    direction: calls.map(([d]) => d),
    seq: calls.map(([d, , c]) => {
      const k = `${c ?? o.connId}:${d}`;
      const s = seqs.get(k) ?? 0n;
      seqs.set(k, s + 1n);
      return s;
    }),
    len: data.map((b) => BigInt(b.length)),
    data,
    truncated: calls.map(() => false),
    lost: calls.map(() => 0n),
    ts: calls.map((_, i) => o.step * BigInt(i + 1)),
    lib: calls.map(() => o.lib ?? "t"),
  };
}

export function build(tls: TlsView, recording = "fixture"): Promise<HttpTables> {
  return buildHttpTables(recording, tls, prices);
}

/** The joined bytes of one direction of a connection. */
export function streamBytes(t: TlsView, c: Connection, dir: "write" | "read"): Uint8Array {
  return concatBytes(c[dir].rows.map((i) => rowData(t, i)));
}

/**
 * A new TLS view with the same connections and bytes, cut into calls by `cut(bytes, dir)`.
 * Each new call gets the time of the original call that held its first byte.
 */
export function rechunk(
  t: TlsView,
  cut: (bytes: Uint8Array, dir: "write" | "read") => Uint8Array[],
): TlsView {
  const rows: Parameters<typeof tlsViewOf>[0][number][] = [];
  for (const c of rebuildConnections(t)) {
    for (const dir of ["write", "read"] as const) {
      const s = c[dir];
      const bytes = streamBytes(t, c, dir);
      let off = 0;
      let k = 0;
      cut(bytes, dir).forEach((data, seq) => {
        while (k + 1 < s.starts.length && s.starts[k + 1] <= off) k++;
        rows.push({
          pid: c.pid,
          conn_id: c.connId,
          conn_gen: c.connGen,
          direction: dir,
          seq: BigInt(seq),
          len: BigInt(data.length),
          data,
          truncated: false,
          lost: 0n,
          ts_ns: s.ts[k] ?? 0n,
          lib: c.lib,
        });
        off += data.length;
      });
    }
  }
  return tlsViewOf(rows);
}

/**
 * `t` without connection `conn`'s calls up to `until`, the rest of them numbered from 0 in each
 * direction: what a capture that joined the connection then records (its first call seen is
 * its first).
 */
export function joinedAt(t: TlsView, conn: bigint, until: bigint) {
  const v = selectRows(t, (i) => !(t.connId[i] === conn && t.ts[i]! <= until));
  const first = new Map<string, bigint>();
  const seq = Array.from({ length: v.length }, (_, i) => {
    const s = v.seq[i] ?? 0n;
    if (v.connId[i] !== conn) return s;
    const key = String(v.direction[i]);
    if (!first.has(key)) first.set(key, s);
    return s - first.get(key)!;
  });
  return { ...v, seq };
}

/** A TLS view of some rows of another (e.g. with rows dropped or changed). */
export function selectRows(
  t: TlsView,
  keep: (i: number) => boolean,
  change: (
    i: number,
    row: { data: Uint8Array; truncated: boolean; lost: bigint; len: bigint },
  ) => void = () => {},
): TlsView {
  const idx = [...Array(t.length).keys()].filter(keep);
  const data = idx.map((i) => rowData(t, i));
  const truncated = idx.map((i) => !!t.truncated[i]);
  const lost = idx.map((i) => t.lost[i] ?? 0n);
  const len = idx.map((i) => t.len[i] ?? 0n);
  idx.forEach((i, k) => {
    const row = { data: data[k], truncated: truncated[k], lost: lost[k], len: len[k] };
    change(i, row);
    data[k] = row.data;
    truncated[k] = row.truncated;
    lost[k] = row.lost;
    len[k] = row.len;
  });
  const pick = <T>(a: ArrayLike<T>) => idx.map((i) => a[i]);
  return {
    length: idx.length,
    pid: pick(t.pid),
    connId: pick(t.connId),
    connGen: pick(t.connGen),
    direction: pick(t.direction),
    seq: pick(t.seq),
    len,
    data,
    truncated,
    lost,
    ts: pick(t.ts),
    lib: pick(t.lib),
  };
}

const TIME_FIELDS = new Set([
  "request_ns",
  "request_end_ns",
  "response_ns",
  "response_end_ns",
  "first_byte_ns",
  "first_token_ns",
  "end_ns",
  "ttft_ms",
  "duration_ms",
  "requested_ns",
  "result_ns",
  "ts_ns",
]);

async function digest(bytes: Uint8Array): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(h.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The built tables as plain JSON: bigints as strings, bodies and long texts as length and
 * hash; `withTimes: false` drops the timestamp columns (which depend on the TLS call split).
 */
export async function tablesDigest(
  t: { [K in keyof HttpTables]: readonly object[] },
  withTimes = true,
): Promise<unknown> {
  const conv = async (row: Record<string, unknown>) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) {
      if (!withTimes && TIME_FIELDS.has(k)) continue;
      if (v instanceof Uint8Array) o[k] = { bytes: v.length, sha256: await digest(v) };
      else if (typeof v === "string" && v.length > 400) {
        o[k] = { chars: v.length, sha256: await digest(new TextEncoder().encode(v)) };
      } else if (typeof v === "bigint") o[k] = v.toString();
      else o[k] = v;
    }
    return o;
  };
  const all = async (rows: readonly object[]) =>
    await Promise.all(rows.map((r) => conv(r as Record<string, unknown>)));
  return {
    http_exchanges: await all(t.exchanges),
    sse_events: await all(t.events),
    ws_messages: await all(t.wsMessages),
    llm_calls: await all(t.calls),
    tool_calls: await all(t.tools),
    server_tool_calls: await all(t.serverTools),
    problems: await all(t.problems),
  };
}

/**
 * Asserts that fixture `name` builds the tables of its `golden.json` (which `--update`
 * rewrites instead).
 */
export async function assertGoldenTables(name: string): Promise<void> {
  const got = JSON.parse(JSON.stringify(await tablesDigest(await build(fixtureTls(name)))));
  const path = `${fixtureDir(name)}/golden.json`;
  if (UPDATE) {
    await Deno.writeTextFile(path, JSON.stringify(got, null, 2) + "\n");
    return;
  }
  assert.ok(existsSync(path), `no ${path}: run deno test -A analysis/ -- --update and review`);
  assert.deepEqual(got, JSON.parse(await Deno.readTextFile(path)));
}

/**
 * Asserts that fixture `name` builds the same tables when every byte is its own TLS call
 * (each byte keeps the time of the call that carried it, so even the times must agree).
 */
export async function assertSameBytewise(name: string): Promise<void> {
  const tls = fixtureTls(name);
  const reference = JSON.stringify(await tablesDigest(await build(tls)));
  const bytewise = rechunk(tls, (b) => Array.from(b, (_, i) => b.subarray(i, i + 1)));
  assert.equal(JSON.stringify(await tablesDigest(await build(bytewise))), reference);
}

/**
 * Each connection of `t` parsed on its own, as JSON: its exchanges, events, WebSocket messages
 * and calls, without times (those come from the calls' splits), for comparing splits.
 */
export async function connectionsDigest(t: TlsView): Promise<string> {
  return JSON.stringify(
    await Promise.all(
      rebuildConnections(t).map(async (c) => {
        const r = await connectionExchanges("fixture", t, c, prices);
        return tablesDigest({
          exchanges: r.built.map((b) => b.row),
          events: r.built.flatMap((b) => b.events),
          wsMessages: r.built.flatMap((b) => b.ws),
          calls: r.built.flatMap((b) =>
            b.calls.map((c) => ({ ...c, requestJson: undefined, messages: undefined }))
          ),
          tools: [],
          serverTools: [],
          problems: r.problems,
        }, false);
      }),
    ),
  );
}

/** A cut of a TLS call's bytes in two at offset `i` (whole when shorter), for `rechunk`. */
export const splitAt = (i: number) => (b: Uint8Array): Uint8Array[] =>
  i < b.length ? [b.subarray(0, i), b.subarray(i)] : [b];

/** A seeded random cut of a TLS call's bytes, for `rechunk`. */
export const randomSplit = (seed: number) => (b: Uint8Array): Uint8Array[] =>
  [...chunkings(b, { skipByteByByte: true, splitPointLimit: 0, randomRuns: 1, seed })][1].chunks;

/** What the tool_marker scenario scripts, as each agent's calls must show it. */
export interface ExpectedCall {
  text: string | RegExp;
  thinking: string | null;
  tokens: { input: bigint; output: bigint; cacheRead: bigint; cacheWrite: bigint | null };
  tool?: { name: string; input: Record<string, unknown> };
}

/**
 * Asserts that a call's answer is the scripted turn's: its text, thinking and token counts
 * (the first three columns by `in`, what the script said).
 */
export function assertScriptedAnswer(
  c: Pick<
    LlmCallRow,
    | "assistant_text"
    | "thinking"
    | "input_tokens"
    | "output_tokens"
    | "cache_read_tokens"
    | "cache_write_tokens"
  >,
  w: ExpectedCall,
): void {
  if (typeof w.text === "string") assert.equal(c.assistant_text, w.text);
  else assert.match(c.assistant_text ?? "", w.text);
  assert.equal(c.thinking, w.thinking);
  assert.deepEqual(
    [c.input_tokens, c.output_tokens, c.cache_read_tokens, c.cache_write_tokens],
    [w.tokens.input, w.tokens.output, w.tokens.cacheRead, w.tokens.cacheWrite],
  );
}

/** Reads the scenario file (the oracle) and maps its turns onto an agent's tool shapes. */
export function scenarioExpectations(agent: string): ExpectedCall[] {
  const sc = JSON.parse(
    Deno.readTextFileSync(new URL("../lab/scenarios/tool_marker.json", import.meta.url)),
  );
  return sc.turns.map((turn: Record<string, unknown>): ExpectedCall => {
    const u = turn.usage as Record<string, number>;
    const text = String(turn.text);
    const run = turn.tool as { run?: string; description?: string } | undefined;
    const e: ExpectedCall = {
      // {{tool_output}} is the command's output: a fresh token
      text: text.includes("{{tool_output}}")
        ? new RegExp(`^${text.replace("{{tool_output}}", "token-[0-9a-f]{16}")}$`)
        : text,
      // Chat Completions (Qwen Code) has no thinking field: the server sends none
      thinking: typeof turn.thinking === "string" && agent !== "qwen" ? turn.thinking : null,
      tokens: {
        input: BigInt(u.input),
        output: BigInt(u.output),
        cacheRead: BigInt(u.cacheRead),
        // only Anthropic reports cache writes (opencode speaks Anthropic's API too)
        cacheWrite: agent === "claude" || agent === "opencode" ? BigInt(u.cacheWrite) : null,
      },
    };
    if (run?.run) {
      const input = { command: run.run, description: run.description };
      e.tool = agent === "claude"
        ? { name: "Bash", input }
        : agent === "gemini" || agent === "qwen"
        ? { name: "run_shell_command", input }
        : agent === "opencode"
        ? { name: "bash", input }
        : { name: "exec_command", input: { cmd: run.run } };
    }
    return e;
  });
}

/**
 * Where the pattern files live (findings name them by absolute path). Only this directory is
 * written from the project's root in digests: a recording made inside a checkout names other
 * paths under it (agent runs, node_modules), and those are the recording's own text.
 */
const PATTERN_DIR = filePath("./detect/", import.meta.url);

export interface Digest {
  rows: number;
  md5: string;
}

/**
 * The digests of every table and view of an analysed database's main schema (but those named
 * in `skip`), each the MD5 of its rows' text in sorted order (the recording's path, where it
 * was analysed, left out; the project's own paths written from its root).
 */
export async function tableDigests(
  c: DuckDBConnection,
  skip: readonly string[] = [],
): Promise<Record<string, Digest>> {
  const names = (await queryRows(c, sqlText("digest_tables")))
    .map((r) => String(r.table_name)).filter((n) => !skip.includes(n));
  const out: Record<string, Digest> = {};
  for (const name of names) {
    const r = await queryRows(c, sqlText("table_digest"), { table: name, dir: PATTERN_DIR });
    out[name] = { rows: Number(r[0].n), md5: String(r[0].md5) };
  }
  return out;
}

/** Makes `paths` immutable (chattr +i: nothing can write them, root included) for `fn`; false
 * where the filesystem or the user cannot (the test then has nothing to check). */
export async function immutable(paths: string[], fn: () => Promise<void>): Promise<boolean> {
  const chattr = (flag: string) =>
    new Deno.Command("chattr", { args: [flag, ...paths] }).output().then((r) => r.success)
      .catch(() => false);
  if (!(await chattr("+i"))) return false;
  try {
    await fn();
  } finally {
    await chattr("-i");
  }
  return true;
}
