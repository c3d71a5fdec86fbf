/**
 * Costs as the price table's rules say, for the token kinds beyond input and output: cache
 * reads (inside OpenAI's and Gemini's input counts, beside Anthropic's), cache writes by their
 * lifetime (Anthropic's hour-long ones at `cache_write_1h`), thinking billed as output; and a
 * price that lacks a rate the usage needs gives no cost, said, rather than a cost too low.
 */
import assert from "node:assert/strict";
import {
  costOf,
  DEFAULT_PRICES,
  loadPrices,
  missingPrice,
  type Price,
  priceFor,
} from "./pricing.ts";

const p: Price = {
  match: "m",
  input: 3,
  output: 15,
  cache_read: 0.3,
  cache_write: 3.75,
  cache_write_1h: 6,
  source: "test",
};

Deno.test("cost: Anthropic cache writes priced by lifetime, reads beside the input", () => {
  const usage = {
    input: 1000,
    output: 2000,
    cacheRead: 10000,
    cacheWrite: 3000,
    cacheWrite1h: 1000,
  };
  // 1000 in, 10000 read, 2000 written for 5 min, 1000 for an hour, 2000 out (thinking in it)
  const want = (1000 * 3 + 10000 * 0.3 + 2000 * 3.75 + 1000 * 6 + 2000 * 15) / 1e6;
  assert.equal(costOf("anthropic", usage, p), Math.round(want * 1e9) / 1e9);
  assert.equal(missingPrice(usage, p), undefined);
});

Deno.test("cost: OpenAI and Gemini count cache reads inside the input; reasoning is output", () => {
  const usage = { input: 1000, output: 500, cacheRead: 800, reasoning: 400 };
  const want = (200 * 3 + 800 * 0.3 + 500 * 15) / 1e6;
  assert.equal(costOf("openai-responses", usage, p), Math.round(want * 1e9) / 1e9);
  assert.equal(costOf("gemini", usage, p), Math.round(want * 1e9) / 1e9);
});

Deno.test("cost: hour-long cache writes and a price without their rate: no cost, and why", () => {
  const { cache_write_1h: _, ...no1h } = p;
  const usage = { input: 10, output: 10, cacheWrite: 50, cacheWrite1h: 50 };
  assert.equal(costOf("anthropic", usage, no1h), null);
  assert.equal(
    missingPrice(usage, no1h),
    "no cache_write_1h price for its 50 hour-long cache write tokens",
  );
  // none written for an hour: the five-minute price is enough
  assert.notEqual(costOf("anthropic", { ...usage, cacheWrite1h: 0 }, no1h), null);
});

Deno.test("price table: every Claude price has its hour-long cache write rate; a bad one is refused", () => {
  const table = loadPrices();
  for (const m of table.models.filter((m) => m.match.startsWith("claude"))) {
    assert.equal(m.cache_write_1h, m.input * 2, `${m.match}: 2x input, as Anthropic's page says`);
  }
  const bad = Deno.makeTempFileSync({ suffix: ".json" });
  Deno.writeTextFileSync(
    bad,
    JSON.stringify({ models: [{ ...p, cache_write_1h: "six" }] }),
  );
  assert.throws(() => loadPrices(bad), {
    message: `${bad}: models[0].cache_write_1h: expected a number >= 0`,
  });
  // an entry that is not an object: named, not "Cannot read properties of null"
  for (const entry of [null, 5, "claude", [1]]) {
    Deno.writeTextFileSync(bad, JSON.stringify({ models: [{ ...p }, entry] }));
    assert.throws(() => loadPrices(bad), {
      message: `${bad}: models[1]: expected an object {"match", "input", "output", ...}`,
    });
  }
  // saved by an editor with a byte order mark: the same table
  Deno.writeTextFileSync(bad, "\uFEFF" + Deno.readTextFileSync(DEFAULT_PRICES));
  assert.deepEqual(loadPrices(bad).models, table.models);
  Deno.removeSync(bad);
});

Deno.test("price table: the Claude models the agents name by default are priced as Anthropic's pages say; Haiku 5.5 stays unpriced", () => {
  const table = loadPrices();
  const rate = (model: string) => {
    const m = priceFor(table, model);
    return m && [m.input, m.output, m.cache_read, m.cache_write, m.cache_write_1h];
  };
  // Claude Code's side calls (its dated id too)
  assert.deepEqual(rate("claude-haiku-4-5"), [1, 5, 0.1, 1.25, 2]);
  assert.deepEqual(rate("claude-haiku-4-5-20251001"), [1, 5, 0.1, 1.25, 2]);
  assert.deepEqual(rate("claude-opus-4-6"), [5, 25, 0.5, 6.25, 10]);
  // Claude Code 2.1.113's default (unpriced once claude-sonnet-4 stopped pricing later versions)
  assert.deepEqual(rate("claude-sonnet-4-6"), [3, 15, 0.3, 3.75, 6]);
  assert.deepEqual(rate("claude-opus-4-1-20250805"), [15, 75, 1.5, 18.75, 30]);
  assert.deepEqual(rate("claude-opus-5"), [5, 25, 0.5, 6.25, 10]);
  assert.deepEqual(rate("claude-opus-5-5"), [4, 20, 0.2, 5, 8]);
  assert.deepEqual(rate("claude-sonnet-5-5"), [2, 10, 0.2, 2.5, 4]);
  // priced by the prompt's length, which an entry cannot say: no price, so no cost (said)
  assert.equal(priceFor(table, "claude-haiku-5-5"), null);
  for (const m of table.models) assert.ok(m.source.length > 20, `${m.match}: its source`);
});

Deno.test("price match: a model's entry prices its snapshot ids, never another version or variant", () => {
  const entry = (match: string): Price => ({ ...p, match, source: `${match}'s page` });
  const table = {
    date: "",
    path: "t.json",
    models: ["claude-opus-5", "claude-sonnet-4", "claude-3-5-haiku", "gpt-5", "gemini-3"].map(
      entry,
    ),
  };
  const match = (m: string) => priceFor(table, m)?.match ?? null;
  // the names the agents' captures carry (datasets/, tests/fixtures/): none is priced by an
  // earlier version's entry
  for (const m of ["claude-opus-5-5", "gpt-5.5", "gemini-3.8-flash", "gemini-3.5-flash-lite"]) {
    assert.equal(match(m), null, m);
    assert.equal(match(`models/${m}`), null, m);
  }
  assert.equal(match("claude-sonnet-4-5"), null);
  // variants and versions in every spelling the providers use
  for (
    const m of [
      "claude-opus-5-1",
      "claude-opus-5.5",
      "claude-opus-55",
      "gpt-5-mini",
      "gpt-5-codex",
      "gpt-5.1",
      "gpt-5.1-2025-11-13",
      "gpt-5-pro-2025-10-06",
      "gemini-3-pro-preview",
      "gemini-3-flash-preview",
      "claude-sonnet-4-5-20250929",
      "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ]
  ) assert.equal(match(m), null, m);
  // a snapshot of the same model: Anthropic's date, OpenAI's, Vertex's, Bedrock's id, -latest
  for (
    const [m, want] of [
      ["claude-opus-5", "claude-opus-5"],
      ["CLAUDE-OPUS-5", "claude-opus-5"],
      ["claude-sonnet-4-20250514", "claude-sonnet-4"],
      ["claude-sonnet-4@20250514", "claude-sonnet-4"],
      ["anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"],
      ["eu.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"],
      ["claude-3-5-haiku-latest", "claude-3-5-haiku"],
      ["gpt-5-2025-08-07", "gpt-5"],
      ["models/gemini-3", "gemini-3"],
      ["gemini-3-001", "gemini-3"],
    ]
  ) assert.equal(match(m), want, m);
});

Deno.test("price table: every entry names a page a user can check; the agents' default models are priced by their own entry or not at all", () => {
  const table = loadPrices();
  for (const m of table.models) {
    assert.doesNotMatch(m.source, /UNVERIFIED|remembered|assum/i, `${m.match}: ${m.source}`);
    assert.match(m.source, /\b[a-z0-9.-]+\.(com|dev|ai)\/\S+/, `${m.match}: names no page`);
  }
  // each entry is the only one to price its own name
  for (const m of table.models) assert.equal(priceFor(table, m.match), m, m.match);
  // the names the captures carry: Claude's priced by their own entry; OpenAI's and Google's
  // have none in the default table (no page of theirs was available offline): no cost, said
  assert.equal(priceFor(table, "claude-opus-5-5")?.match, "claude-opus-5-5");
  assert.equal(priceFor(table, "claude-sonnet-4-5-20250929")?.match, "claude-sonnet-4-5");
  for (const m of ["gpt-5.5", "gpt-4.1-mini", "gemini-3.8-flash", "gemini-3.5-flash-lite"]) {
    assert.equal(priceFor(table, m), null, m);
  }
});
