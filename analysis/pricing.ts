/**
 * The price table (`analysis/prices.json`, or a file given with `--prices`) and the cost of one
 * call from its token usage. Prices are USD per million tokens; an entry's `match` is a model's
 * name, which also prices the same model's snapshot ids ({@linkcode sameModel}) but never a
 * later version or a variant (`gpt-5` does not price `gpt-5.5` nor `gpt-5-mini`;
 * `claude-opus-5` does not price `claude-opus-5-5`). Token semantics differ per provider:
 * Anthropic's input count excludes cache reads and writes (each billed at its own rate), while
 * OpenAI's and Gemini's input counts include the cached tokens.
 */
import { filePath } from "../kit/file_path.ts";
import type { Provider, Usage } from "./llm/shapes.ts";
import { errorLine, usageError, userPath } from "../kit/cli.ts";
import { parseJsonText } from "../kit/json_text.ts";

export interface Price {
  match: string;
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
  /**
   * Anthropic: a cache write kept for an hour (`cache_control.ttl: "1h"`), per million
   * tokens; `cache_write` is then the five-minute one's price
   */
  cache_write_1h?: number;
  source: string;
}

export interface PriceTable {
  date: string;
  models: Price[];
  /** where the table was read from */
  path: string;
}

export const DEFAULT_PRICES = filePath("./prices.json", import.meta.url);

/**
 * A `--prices FILE` option, as the user's path, checked at once (undefined when not given): a
 * table that cannot be read or is wrong is a usage error before any work, not one said only
 * when a recording comes to be analysed (and never when its analysis is current).
 */
export function pricesOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const path = userPath(value);
  try {
    loadPrices(path);
  } catch (e) {
    throw usageError(errorLine(e));
  }
  return path;
}

/**
 * What `--prices` did not do for a recording whose analysis is current (its costs are those
 * of the table it was analysed with): said, not left silent.
 */
export function pricesNotApplied(prices: string): string {
  return `its analysis is current: --prices ${prices} is not applied to it (it prices a new ` +
    "analysis: deno task analyze --prices FILE RECORDING)";
}

/** Reads and checks a price table; throws one line naming the file and the problem. */
export function loadPrices(path = DEFAULT_PRICES): PriceTable {
  let v: unknown;
  try {
    v = parseJsonText(Deno.readTextFileSync(path));
  } catch (e) {
    throw new Error(
      `${path}: cannot read the price table (${(e as Error).message.split("\n")[0]})`,
    );
  }
  const o = v as { date?: unknown; models?: unknown };
  if (typeof o !== "object" || o === null || !Array.isArray(o.models)) {
    throw new Error(`${path}: expected {"date", "models": [...]}`);
  }
  const models = o.models.map((m: Record<string, unknown>, i: number): Price => {
    if (typeof m !== "object" || m === null || Array.isArray(m)) {
      throw new Error(
        `${path}: models[${i}]: expected an object {"match", "input", "output", ...}`,
      );
    }
    for (const k of ["input", "output", "cache_read", "cache_write"]) {
      if (typeof m[k] !== "number" || !(m[k] as number >= 0)) {
        throw new Error(`${path}: models[${i}].${k}: expected a number >= 0`);
      }
    }
    if (
      m.cache_write_1h !== undefined &&
      (typeof m.cache_write_1h !== "number" || !(m.cache_write_1h >= 0))
    ) {
      throw new Error(`${path}: models[${i}].cache_write_1h: expected a number >= 0`);
    }
    if (typeof m.match !== "string" || m.match === "") {
      throw new Error(`${path}: models[${i}].match: expected a model name`);
    }
    if (typeof m.source !== "string" || m.source === "") {
      throw new Error(`${path}: models[${i}].source: say where the price comes from`);
    }
    return m as unknown as Price;
  });
  return { date: typeof o.date === "string" ? o.date : "", models, path };
}

/**
 * What may follow a priced model's name and still name that model, as the providers name their
 * snapshots: a date (Anthropic's `-20251001`, OpenAI's `-2025-08-07` and older `-0613`, Vertex's
 * `@20250929`), Gemini's stable version `-001`, or an alias of the newest snapshot `-latest`;
 * then Bedrock's model version `-v1:0`. Anything else names another model: a version
 * continuation (`.5`, `-5`, `-5-5`, `5.1`), a variant (`-mini`, `-lite`, `-pro`, `-codex`), or
 * a preview, which may be priced apart from the release it precedes: each needs its own entry.
 */
const SNAPSHOT = /^(?:-\d{8}|-\d{4}-\d{2}-\d{2}|-\d{4}|@\d{8}|-\d{3}|-latest)?(?:-v\d+(?::\d+)?)?$/;

/** Whether `name` is the model `match` names, or a snapshot of it (see `SNAPSHOT`). */
export function sameModel(name: string, match: string): boolean {
  return name.startsWith(match) && SNAPSHOT.test(name.slice(match.length));
}

/**
 * The price for a model (its entry, or that of the model it is a snapshot of), or null: a
 * call priced at another model's rates would be a cost silently wrong, an unpriced one is
 * said (`problems`, unpriced_calls.ts). Gemini's `models/` prefix and Bedrock's model ids
 * (`anthropic.M-v1:0`, with a cross-region inference profile's `us.`, `eu.`, `apac.`,
 * `global.` … before it) are read as the model's own name; Vertex's `M@date` is a snapshot.
 * (An application inference profile's ARN names no model: null.)
 */
export function priceFor(table: PriceTable, model: string | undefined | null): Price | null {
  if (!model) return null;
  const name = model.toLowerCase().replace(/^models\//, "").replace(
    /^(?:[a-z]{2,6}(?:-gov)?\.)?anthropic\./,
    "",
  );
  let best: Price | null = null;
  for (const p of table.models) {
    if (
      sameModel(name, p.match.toLowerCase()) && (!best || p.match.length > best.match.length)
    ) {
      best = p;
    }
  }
  return best;
}

/**
 * Cost in USD, or null without usage, or when it wrote hour-long cache entries (Anthropic
 * `cache_creation.ephemeral_1h_input_tokens`) and `p` has no price for them
 * ({@linkcode missingPrice} says so). Output counts include thinking (every API bills it as
 * output); OpenAI's and Gemini's input counts include the cache reads, billed at their rate.
 */
export function costOf(provider: Provider, usage: Usage | null, p: Price): number | null {
  if (!usage || (usage.input === undefined && usage.output === undefined)) return null;
  if (missingPrice(usage, p)) return null;
  const input = usage.input ?? 0;
  const output = usage.output ?? 0;
  const read = usage.cacheRead ?? 0;
  const write1h = Math.min(usage.cacheWrite1h ?? 0, usage.cacheWrite ?? 0);
  const write = (usage.cacheWrite ?? 0) - write1h;
  const uncached = provider === "anthropic" ? input : Math.max(0, input - read);
  const usd = (uncached * p.input + read * p.cache_read + write * p.cache_write +
    write1h * (p.cache_write_1h ?? 0) + output * p.output) / 1e6;
  return Math.round(usd * 1e9) / 1e9;
}

/** What `p` lacks a price for in `usage`, or undefined when it prices all of it. */
export function missingPrice(usage: Usage | null, p: Price): string | undefined {
  const hour = usage?.cacheWrite1h ?? 0;
  if (hour > 0 && p.cache_write_1h === undefined) {
    return `no cache_write_1h price for its ${hour} hour-long cache write tokens`;
  }
  return undefined;
}
