/**
 * The analysis under fuzzing: real recordings from datasets/, changed by the mutations of
 * `mutations.ts` (drawn by fast-check from a seed), each analysed and checked against what
 * the mutation promises — the same rows for legal changes, a `problems` row for damage, every
 * call of every other connection still parsed, no crash, and time and memory in proportion
 * to the input. TLS-level mutations go through the HTTP and LLM parsing (fast, many inputs);
 * file-level ones through the whole analysis into DuckDB, correlation and findings included.
 *
 * `runFuzz` is used by `deno task fuzz` (minutes, many seeds) and by its short seeded test.
 */
import { filePath } from "../../kit/file_path.ts";
import { join } from "node:path";
import fc from "fast-check";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { tlsViewOf } from "../../analysis/byte_streams.ts";
import { withDb } from "../../analysis/analysed_db.ts";
import { buildHttpTables, type HttpTables } from "../../analysis/http_tables.ts";
import { loadPrices } from "../../analysis/pricing.ts";
import { tableDigests, tablesDigest } from "../../analysis/testing.ts";
import { queryRows } from "../../kit/sql_runner.ts";
import { sqlText } from "../../analysis/sql_files.ts";
import { errorLine } from "../../kit/cli.ts";
import { readParts, writeRecording } from "../../recording/recording_builder.ts";
import type { ProcessRow } from "../../recording/schema.ts";
import { connKey } from "../../recording/recording.ts";
import {
  type FileMutation,
  fileMutations,
  type FilePlan,
  messageEnds,
  type TlsMutation,
  tlsMutations,
} from "./mutations.ts";

export const DATASETS_DIR = filePath("../../datasets/", import.meta.url);
const prices = loadPrices();

/** One fuzzed input and what came of it. */
export interface Outcome {
  dataset: string;
  level: "tls" | "file";
  mutation: string;
  expect: string;
  /** the exception that ended the analysis, if one did */
  crash: string | null;
  /** promises the analysis did not keep */
  violations: string[];
  /** problems rows the analysis gave */
  problems: number;
  ms: number;
  /** input size: bytes of TLS data (tls level) or of the recording's files (file level) */
  bytes: number;
  /** growth of the process's peak resident memory during this input, bytes */
  peakGrowth: number;
}

/** A dataset loaded once, with its clean results to compare with. */
export interface Sample {
  name: string;
  dir: string;
  parts: ReturnType<typeof readParts>;
  tlsBytes: number;
  fileBytes: number;
  cleanTls: { digest: string; digestNoTimes: string; calls: Map<string, number>; ms: number };
  /** the untouched recording's analysis: its digests, time and the problems it has itself */
  cleanFull?: { digests: string; ms: number; problems: Set<string> };
}

/** Peak resident memory of this process so far (VmHWM), bytes. */
export function peakRss(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
  return m ? Number(m[1]) * 1024 : 0;
}

const big = (_k: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);

/** Each LLM call as text without its ids, with its connection, counted. */
function callSignatures(t: HttpTables): Map<string, number> {
  const conn = new Map(t.exchanges.map((e) => [e.exchange_id, connKey(e)]));
  const out = new Map<string, number>();
  for (const c of t.calls) {
    // conversation_id names another call (its conversation's first), maybe of a damaged
    // connection: an id, like llm_call_id; conversation_via says how it met another call
    // (whose tool calls a damaged answer may have lost)
    const { llm_call_id: _a, exchange_id, conversation_id: _c, conversation_via: _v, ...rest } = c;
    const k = `${conn.get(exchange_id)} ${JSON.stringify(rest, big)}`;
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

const IDS = new Set([
  "exchange_id",
  "llm_call_id",
  "tool_call_id",
  "result_llm_call_id",
  "conversation_id",
]);

/**
 * The tables as text: whole, or (`withTimes: false`) without times and the ids numbered in
 * time order, rows sorted — the content, whatever the TLS call split made of the times.
 */
async function digestText(t: HttpTables, withTimes: boolean): Promise<string> {
  const d = await tablesDigest(t, withTimes) as Record<string, Record<string, unknown>[]>;
  if (withTimes) return JSON.stringify(d);
  const rows = (rs: Record<string, unknown>[]) =>
    rs.map((r) => JSON.stringify(Object.entries(r).filter(([k]) => !IDS.has(k)))).sort();
  return JSON.stringify(Object.fromEntries(Object.entries(d).map(([k, v]) => [k, rows(v)])));
}

/** The datasets: directories of datasets/ with a manifest. */
export function datasetNames(): string[] {
  return [...Deno.readDirSync(DATASETS_DIR)].filter((e) => {
    try {
      return e.isDirectory && Deno.statSync(join(DATASETS_DIR, e.name, "manifest.json")).isFile;
    } catch {
      return false;
    }
  }).map((e) => e.name).sort();
}

export async function loadSample(name: string): Promise<Sample> {
  const dir = join(DATASETS_DIR, name);
  const parts = readParts(dir);
  const t0 = performance.now();
  const clean = await buildHttpTables(name, tlsViewOf(parts.tls), prices);
  const ms = performance.now() - t0;
  let fileBytes = 0;
  for (const e of Deno.readDirSync(dir)) fileBytes += Deno.statSync(join(dir, e.name)).size;
  return {
    name,
    dir,
    parts,
    tlsBytes: parts.tls.reduce((n, r) => n + r.data.length, 0),
    fileBytes,
    cleanTls: {
      digest: await digestText(clean, true),
      digestNoTimes: await digestText(clean, false),
      calls: callSignatures(clean),
      ms,
    },
  };
}

/** Calls of connections other than `conn` that the clean parse had and this one lacks. */
function lostCalls(clean: Map<string, number>, got: Map<string, number>, conn: string | null) {
  let lost = 0;
  for (const [k, n] of clean) {
    if (conn && k.startsWith(`${conn} `)) continue;
    lost += Math.max(0, n - (got.get(k) ?? 0));
  }
  return lost;
}

/** Time and memory in proportion: generous bounds that only a blow-up breaks. */
function proportion(o: Outcome, cleanMs: number, cleanBytes: number, slackMs: number): void {
  const allowed = 20 * cleanMs * Math.max(1, o.bytes / cleanBytes) + slackMs;
  if (o.ms > allowed) {
    o.violations.push(
      `took ${o.ms.toFixed(0)} ms for ${o.bytes} bytes (clean: ${cleanMs.toFixed(0)} ms for ` +
        `${cleanBytes}; allowed ${allowed.toFixed(0)})`,
    );
  }
  const mem = 32 * Math.max(0, o.bytes - cleanBytes) + (512 << 20);
  if (o.peakGrowth > mem) {
    o.violations.push(`peak memory grew ${o.peakGrowth} bytes for ${o.bytes} bytes of input`);
  }
}

/** A fresh outcome of a mutation of a sample, for an input of `bytes`. */
function outcome(s: Sample, m: TlsMutation | FileMutation, bytes: number): Outcome {
  return {
    dataset: s.name,
    level: m.level,
    mutation: m.name,
    expect: m.expect,
    crash: null,
    violations: [],
    problems: 0,
    ms: 0,
    bytes,
    peakGrowth: 0,
  };
}

/**
 * Runs the parse or analysis of a mutation: its time and peak-RSS growth into `o`, a throw as
 * o.crash (then null).
 */
async function measured<T>(o: Outcome, work: () => Promise<T>): Promise<T | null> {
  const peak0 = peakRss();
  const t0 = performance.now();
  try {
    return await work();
  } catch (e) {
    o.crash = errorLine(e);
    return null;
  } finally {
    o.ms = performance.now() - t0;
    o.peakGrowth = peakRss() - peak0;
  }
}

/** Parses a TLS-level mutation of a sample and checks its promise. */
export async function checkTls(s: Sample, m: TlsMutation): Promise<Outcome> {
  const rows = m.apply(s.parts.tls);
  const o = outcome(s, m, rows.reduce((n, r) => n + r.data.length, 0));
  const t = await measured(o, () => buildHttpTables(s.name, tlsViewOf(rows), prices));
  if (t === null) return o;
  o.problems = t.problems.length;
  if (m.expect === "same" && (await digestText(t, true)) !== s.cleanTls.digest) {
    o.violations.push("the tables differ from the recording's own");
  }
  if (
    m.expect === "sameWithoutTimes" && (await digestText(t, false)) !== s.cleanTls.digestNoTimes
  ) {
    o.violations.push("the tables differ from the recording's own (times aside)");
  }
  if (m.expect === "reported" && m.conn) {
    const [pid, id, gen] = m.conn.split(":");
    const label = `pid ${pid} conn 0x${BigInt(id).toString(16)} gen ${gen}`;
    if (!t.problems.some((p) => p.source === label)) {
      o.violations.push(`no problem names ${label}`);
    }
  }
  if (m.expect === "reported" || m.expect === "contained") {
    const lost = lostCalls(s.cleanTls.calls, callSignatures(t), m.conn);
    if (lost) o.violations.push(`${lost} call(s) of undamaged connections lost or changed`);
  }
  proportion(o, s.cleanTls.ms, s.tlsBytes, 2000);
  return o;
}

/**
 * Writes the recording a file-level plan describes into `dir`; returns its size in bytes and
 * whether a cut took rows away (a file without rows cannot lose any).
 */
function writePlan(s: Sample, plan: FilePlan, dir: string): { bytes: number; cut: boolean } {
  const p = s.parts;
  const manifest = structuredClone(p.manifest) as unknown as Record<string, unknown>;
  const processRows: ProcessRow[] = plan.processRows ?? p.process;
  const tables = manifest.tables as Record<string, { rows: number }>;
  if (plan.processRows && tables?.process) tables.process.rows = processRows.length;
  const content = <R>(name: string, rows: R[]) => ({
    rows,
    batchRows: plan.batchRows[`${name}.arrow`] ?? 1000,
  });
  writeRecording(dir, {
    manifest,
    process: content("process", processRows),
    file: content("file", p.file),
    net: content("net", p.net),
    tls: content("tls", p.tls),
    privilege: p.privilege && content("privilege", p.privilege),
    ipc: p.ipc && content("ipc", p.ipc),
  });
  let cut = false;
  if (plan.cut) {
    const path = join(dir, plan.cut.file);
    const b = Deno.readFileSync(path);
    const ends = messageEnds(b);
    // batches end at ends[1..]; cut after batch k (k < last) or inside batch k
    const batches = ends.length - 1;
    if (batches >= 1) {
      const k = Math.min(batches - 1, Math.floor(plan.cut.at * batches));
      const boundary = plan.cut.boundary && k < batches - 1;
      const start = ends[k];
      const end = ends[k + 1];
      const at = boundary ? end : start + 1 + Math.floor((plan.cut.at * 7919) % (end - start - 1));
      Deno.writeFileSync(path, b.subarray(0, at));
      cut = true;
    }
  }
  if (plan.flips) {
    const path = join(dir, plan.flips.file);
    const b = Deno.readFileSync(path);
    for (const x of plan.flips.at) {
      const i = Math.floor(x * b.length * 8);
      b[i >> 3] ^= 1 << (i & 7);
    }
    Deno.writeFileSync(path, b);
  }
  let bytes = 0;
  for (const e of Deno.readDirSync(dir)) bytes += Deno.statSync(join(dir, e.name)).size;
  return { bytes, cut };
}

/** Pids with fewer exit rows in `after` than in `before`. */
function exitsDropped(before: ProcessRow[], after: ProcessRow[]): Set<number> {
  const exits = (rows: ProcessRow[]) =>
    Map.groupBy(rows.filter((r) => r.kind === "exit"), (r) => r.pid);
  const a = exits(after);
  return new Set(
    [...exits(before)].filter(([pid, rs]) => (a.get(pid)?.length ?? 0) < rs.length)
      .map(([pid]) => pid),
  );
}

/** Whether problem `p` says that processes with no exit are running, each of them in `pids`. */
function runningOf(p: Record<string, unknown>, pids: Set<number>): boolean {
  if (p.kind !== "running") return false;
  const named = [...String(p.message).matchAll(/\bpid (\d+)/g)].map((m) => Number(m[1]));
  return named.length > 0 && named.every((pid) => pids.has(pid));
}

/** The digests of an analysed database, as one text. */
async function dbDigests(db: string): Promise<string> {
  return JSON.stringify(await withDb(db, (c) => tableDigests(c), { readOnly: true }));
}

/** The problems an analysed database says. */
async function said(db: string) {
  return await withDb(db, (c) => queryRows(c, sqlText("problems_said")), { readOnly: true });
}

/** A problem as a comparable key: its source and message. */
function problemKey(p: { source?: unknown; message?: unknown }): string {
  return `${p.source}\t${p.message}`;
}

async function analyse(dir: string) {
  return await analyzeRecording(dir, prices, { quiet: true, err: () => {} });
}

/** Analyses a file-level mutation of a sample and checks its promise. */
export async function checkFile(s: Sample, m: FileMutation): Promise<Outcome> {
  const tmp = await Deno.makeTempDir({ prefix: "sl-fuzz-" });
  try {
    if (!s.cleanFull) {
      const dir = join(tmp, "clean", s.name);
      writePlan(s, { batchRows: {} }, dir);
      const t0 = performance.now();
      const r = await analyse(dir);
      const ms = performance.now() - t0;
      s.cleanFull = {
        ms,
        digests: await dbDigests(r.db),
        problems: new Set((await said(r.db)).map(problemKey)),
      };
    }
    const plan = m.apply({ batchRows: {} }, s.parts.process);
    const dir = join(tmp, "fuzzed", s.name);
    const written = writePlan(s, plan, dir);
    const o = outcome(s, m, written.bytes);
    const db = (await measured(o, () => analyse(dir)))?.db;
    if (db === undefined) return o;
    const problems = await said(db);
    o.problems = problems.length;
    if (m.expect === "same" && (await dbDigests(db)) !== s.cleanFull.digests) {
      o.violations.push("the analysed tables differ from the recording's own");
    }
    if (m.expect === "legal") {
      // an exit taken away is a process with no recorded exit: said, as it should be
      const dropped = exitsDropped(s.parts.process, plan.processRows ?? s.parts.process);
      // (a problem the untouched recording has too, e.g. a model with no price, is not the
      // mutation's)
      const clean = s.cleanFull.problems;
      const unsaid = problems.filter((p) => !runningOf(p, dropped) && !clean.has(problemKey(p)));
      if (unsaid.length) {
        o.violations.push(`problems for legal rows: ${unsaid[0].source}: ${unsaid[0].message}`);
      }
    }
    if (m.expect === "reported" && m.file && written.cut) {
      if (!problems.some((p) => p.source === m.file)) {
        o.violations.push(`no problem names ${m.file}`);
      }
    }
    proportion(o, s.cleanFull.ms, s.fileBytes, 10_000);
    return o;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

export interface FuzzOptions {
  seed: number;
  /** datasets to draw from (default: all) */
  datasets?: string[];
  /** inputs per round: TLS-level and file-level */
  tlsRuns: number;
  fileRuns: number;
  /** keep going in rounds (seed + round) until this many ms have passed; default one round */
  durationMs?: number;
  /** told of each outcome */
  onOutcome?: (o: Outcome) => void;
}

export interface FuzzReport {
  seed: number;
  rounds: number;
  inputs: number;
  crashes: number;
  failures: Outcome[];
  outcomes: Outcome[];
  ms: number;
}

/** Runs the fuzzer: rounds of seeded mutations over the datasets. */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const names = opts.datasets ?? datasetNames();
  const samples = new Map<string, Sample>();
  const sample = async (name: string) => {
    let s = samples.get(name);
    if (!s) samples.set(name, s = await loadSample(name));
    return s;
  };
  const start = performance.now();
  const outcomes: Outcome[] = [];
  let round = 0;
  do {
    const seed = opts.seed + round;
    for (let i = 0; i < opts.tlsRuns; i++) {
      const s = await sample(names[(seed + i) % names.length]);
      const [m] = fc.sample(tlsMutations(s.parts.tls), { seed: seed * 7919 + i, numRuns: 1 });
      const o = await checkTls(s, m);
      outcomes.push(o);
      opts.onOutcome?.(o);
    }
    for (let i = 0; i < opts.fileRuns; i++) {
      const s = await sample(names[(seed + i) % names.length]);
      const [m] = fc.sample(fileMutations(), { seed: seed * 104729 + i, numRuns: 1 });
      const o = await checkFile(s, m);
      outcomes.push(o);
      opts.onOutcome?.(o);
    }
    round++;
  } while (opts.durationMs && performance.now() - start < opts.durationMs);
  const failures = outcomes.filter((o) => o.crash || o.violations.length);
  return {
    seed: opts.seed,
    rounds: round,
    inputs: outcomes.length,
    crashes: outcomes.filter((o) => o.crash).length,
    failures,
    outcomes,
    ms: performance.now() - start,
  };
}
