/**
 * `deno task label` against a local OpenAI-compatible endpoint played by the scripted model
 * server: the prompt holds the session's evidence, the verdict is parsed and stored with its
 * tokens and cost, a malformed answer is reported and stored, the cache makes a re-run free,
 * and a dry run asks nothing.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadScenario, startModelServer } from "../simulator/mod.ts";
import { withDb } from "../../analysis/analysed_db.ts";
import { immutable } from "../../analysis/testing.ts";
import { queryRows } from "../../kit/sql_runner.ts";
import { analysedFixture } from "../../analysis/correlate/testing.ts";
import { costOf, loadPrices, priceFor } from "../../analysis/pricing.ts";
import { run } from "../../analysis/observer/label_main.ts";
import { type LabelOptions, runLabel } from "../../analysis/observer/label.ts";
import { buildTrace } from "../../analysis/observer/trace.ts";

const SCENARIOS = filePath("../scenarios/", import.meta.url);

Deno.test("label: verdicts from a scripted observer, stored, cached; malformed answers reported", async () => {
  const observer = await loadScenario(join(SCENARIOS, "observer_label.json"));
  const marker = await loadScenario(join(SCENARIOS, "tool_marker.json"));
  const db = await analysedFixture("claude");
  const recording = db.split("/").at(-2)!;
  const cacheDir = await Deno.makeTempDir();
  const server = await startModelServer({ scenario: observer });
  const lines: string[] = [];
  const opts = (o: Partial<LabelOptions>): LabelOptions => ({
    recordings: [db],
    endpoint: { baseURL: server.url, apiKey: "sk-test", caCert: server.caCertPath },
    model: "observer-under-test",
    cacheDir,
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    ...o,
  });
  try {
    // 1: a verdict
    const first = await runLabel(opts({}));
    assert.equal(server.requests.length, 1);
    const body = server.requests[0].body as { messages: { role: string; content: string }[] };
    const prompt = body.messages.map((m) => m.content).join("\n");
    assert.ok(prompt.includes(marker.prompt!), "the user's request");
    assert.ok(prompt.includes("tool_call:1"));
    assert.match(prompt, /process:\d+ exec tee marker\.txt/, "the command's processes, by id");
    assert.match(prompt, /file:\d+ open \/tmp\/[^ ]+\/marker\.txt \(write\)/, "the file it wrote");
    assert.ok(prompt.includes('"risk"') && prompt.includes("evidence"), "the answer asked for");
    const [row] = first.rows;
    const want = observer.turns[0].json as Record<string, unknown>;
    assert.equal(row.status, "ok");
    assert.equal(row.risk, want.risk);
    assert.equal(row.category, want.category);
    assert.equal(row.explanation, want.explanation);
    assert.deepEqual(row.evidence, want.evidence);
    assert.deepEqual(row.unknown_evidence, []);
    assert.equal(row.input_tokens, BigInt(observer.usage!.input!));
    assert.equal(row.output_tokens, BigInt(observer.usage!.output!));
    // the default observer model (gpt-4.1-mini) has no entry: no cost, never another's
    const price = priceFor(loadPrices(), observer.model as string);
    assert.equal(
      row.cost_usd,
      price && costOf(
        "openai-chat",
        { input: observer.usage!.input, output: observer.usage!.output },
        price,
      ),
    );
    assert.equal(row.cached, false);
    assert.equal(row.attempts, 1);
    const stored = await withDb(db, (c) => queryRows(c, "SELECT * FROM labels"));
    assert.equal(stored.length, 1);
    assert.equal(stored[0].risk, want.risk);
    assert.equal(stored[0].recording, recording);

    // 2: without the cache, the next scripted answer is not JSON: reported, stored, no crash
    lines.length = 0;
    assert.equal(await run(opts({ cacheDir: null })), 1);
    assert.equal(server.requests.length, 2);
    assert.ok(lines.some((l) => /malformed answer: the answer holds no JSON object/.test(l)));
    const after = await withDb(db, (c) => queryRows(c, "SELECT status, raw, error FROM labels"));
    assert.equal(after.length, 1, "the row of this session and model was replaced");
    assert.equal(after[0].status, "malformed");
    assert.equal(after[0].raw, observer.turns[1].text);

    // 3: from the cache: no request, the first verdict again
    const third = await runLabel(opts({}));
    assert.equal(server.requests.length, 2, "a cached trace costs nothing");
    assert.equal(third.rows[0].cached, true);
    assert.equal(third.rows[0].risk, want.risk);
    assert.equal(third.rows[0].trace_hash, row.trace_hash);

    // 4: a dry run prints the prompt and asks nothing
    lines.length = 0;
    await runLabel(opts({ dryRun: true, cacheDir: null }));
    assert.equal(server.requests.length, 2);
    assert.ok(lines.join("\n").includes(marker.prompt!));
  } finally {
    await server.close();
  }
});

Deno.test("label: an analysis that cannot be written: a dry run shows the prompts, a run asks nothing and says why", async (t) => {
  const db = await analysedFixture("claude");
  const dir = db.slice(0, db.lastIndexOf("/"));
  const tmp = await Deno.makeTempDir();
  const server = await startModelServer({
    scenario: await loadScenario(join(SCENARIOS, "observer_label.json")),
  });
  const lines: string[] = [];
  const opts = (o: Partial<LabelOptions>): LabelOptions => ({
    recordings: [dir],
    endpoint: { baseURL: server.url, apiKey: "sk-test", caCert: server.caCertPath },
    model: "observer-under-test",
    cacheDir: null,
    out: (l) => lines.push(l),
    err: (l) => lines.push(`err: ${l}`),
    ...o,
  });
  try {
    // the findings the trace holds are built once while it can be written
    await runLabel(opts({ dryRun: true }));
    const before = await Deno.readFile(db);
    const prompts = [...lines];
    lines.length = 0;
    let dry: Awaited<ReturnType<typeof runLabel>> | undefined;
    let real: Awaited<ReturnType<typeof runLabel>> | undefined;
    let made: string[] = [];
    const ran = await immutable([db, dir], async () => {
      dry = await runLabel(opts({ dryRun: true }));
      assert.deepEqual(lines, prompts, "the same prompts");
      lines.length = 0;
      ({ value: real, made } = await inTmpdir(tmp, () => runLabel(opts({}))));
    });
    if (!ran) {
      await t.step({
        name: "chattr +i refused here: nothing to check",
        ignore: true,
        fn: () => {},
      });
      return;
    }
    assert.deepEqual(dry!.failedRecordings, []);
    assert.deepEqual(real!.failedRecordings, [dir]);
    assert.equal(server.requests.length, 0, "the model was not asked");
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(
      lines[0],
      /^err: label: .*: its analysis cannot be written \(Cannot open file ".*analysis\.duckdb": Operation not permitted\): the verdicts could not be kept, so the model was not asked \(--dry-run shows the prompts\)$/,
    );
    assert.deepEqual(await Deno.readFile(db), before, "the analysis is as it was");
    // said at once: the analysis (gigabytes at scale) was not copied to the temporary directory
    assert.deepEqual(
      made.filter((n) => n.startsWith("sightline-copy-")),
      [],
      `made in TMPDIR: ${made}`,
    );
  } finally {
    await server.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

/**
 * Runs `fn` with TMPDIR set to `dir`; `made`: the names of what was made in it (and may have
 * been removed since).
 */
async function inTmpdir<T>(
  dir: string,
  fn: () => Promise<T>,
): Promise<{ value: T; made: string[] }> {
  const made: string[] = [];
  const before = Deno.env.get("TMPDIR");
  const watcher = Deno.watchFs(dir, { recursive: false });
  const watching = (async () => {
    for await (const ev of watcher) {
      if (ev.kind === "create") made.push(...ev.paths.map((p) => p.slice(dir.length + 1)));
    }
  })();
  Deno.env.set("TMPDIR", dir);
  try {
    return { value: await fn(), made };
  } finally {
    if (before === undefined) Deno.env.delete("TMPDIR");
    else Deno.env.set("TMPDIR", before);
    await new Promise((r) => setTimeout(r, 200)); // the last events
    watcher.close();
    await watching;
  }
}

Deno.test("label: the trace keeps within its token budget by leaving things out", async () => {
  const db = await analysedFixture("claude");
  await withDb(db, async (c) => {
    const { buildLinksAndFindings } = await import("../../analysis/detect/insights.ts");
    assert.deepEqual(await buildLinksAndFindings(c), []);
    const [s] = await queryRows(c, "SELECT recording, session_id FROM sessions");
    const full = await buildTrace(c, String(s.recording), Number(s.session_id));
    const small = await buildTrace(c, String(s.recording), Number(s.session_id), {
      maxTokens: full.tokens / 2,
    });
    assert.ok(small.tokens < full.tokens, `${small.tokens} < ${full.tokens}`);
    assert.ok(small.omitted > 0, "what was left out is counted");
    assert.ok(small.ids.has("tool_call:1"), "the decision itself stays");
  });
});

Deno.test("label: sessions are asked at most `concurrency` at a time", async () => {
  const { pool } = await import("../../analysis/observer/label.ts");
  let now = 0;
  let peak = 0;
  const out = await pool([1, 2, 3, 4, 5, 6], 2, async (x) => {
    peak = Math.max(peak, ++now);
    await new Promise((r) => setTimeout(r, 10));
    now--;
    return x * 10;
  });
  assert.deepEqual(out, [10, 20, 30, 40, 50, 60]);
  assert.equal(peak, 2);
});
