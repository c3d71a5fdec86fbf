/// <reference lib="dom" />
/**
 * The report in a real browser (Debian's Chromium, headless): the page opens from a file with
 * no request to anywhere, no console error and no uncaught exception; every chart renders,
 * with as many marks in each layer as the database says there should be (counted with SQL of
 * our own, and through correlation's `actions` table for the links); hovering an LLM call
 * shows its prompt, an exec its command, a file write its path; clicking a tool call opens it
 * in the conversation; a finding's link highlights it on the timeline; an MCP call's bar shows
 * its server, tool and cause and a click opens it under its tool call; hostile text stays
 * text. Screenshots are written to
 * `$TMPDIR/sightline-report-screenshots/` (overwritten by each run) for a person to look at.
 *
 * Skipped, saying why, only when Chromium is missing and CI is unset.
 */
import assert from "node:assert/strict";
import { showControls } from "../kit/control_chars.ts";
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { chromiumMissing, countMarks, type PageLog, watchPage, withChromium } from "./browser.ts";
import { reportPage } from "./page.ts";
import { buildReport, chartSpecs } from "./report.ts";
import {
  addCorrelation,
  addFindings,
  analyse,
  copyDataset,
  copyFixture,
  dropCorrelation,
  expectedMarks,
  fakeReportData,
  HOSTILE,
  tempDir,
  withDbOf,
} from "./testing.ts";

export const SHOT_DIR = join(tmpdir(), "sightline-report-screenshots");

const missing = chromiumMissing();
const ignore = missing !== null && !Deno.env.get("CI");
if (ignore) console.warn(`report_browser_test: skipped: ${missing}`);

async function openReport(browser: Browser, html: string): Promise<{ page: Page; log: PageLog }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const log = watchPage(page);
  await page.goto(`file://${html}`);
  await page.waitForFunction(() => document.body.dataset.charts, null, { timeout: 60_000 });
  assert.equal(
    await page.evaluate(() => document.body.dataset.charts),
    "ready",
    log.errors.join("\n"),
  );
  return { page, log };
}

function assertClean(log: PageLog) {
  assert.deepEqual(log.errors, [], "no console errors or uncaught exceptions");
  assert.deepEqual(log.requests, [], "no request leaves the page's own file");
}

Deno.test({
  name: "in Chromium: a recording with links and findings renders every mark it should",
  ignore,
  async fn() {
    const dir = tempDir();
    try {
      const rec = copyFixture("claude_tool_marker", dir);
      await analyse(rec);
      await addCorrelation(rec);
      // a finding citing the first tool call and two events linked to it
      const cited = await withDbOf(rec, (q) =>
        q.rows(
          `SELECT l.event_table || ':' || l.event_id AS item, t.requested_ns, t.result_ns
           FROM links l JOIN tool_calls t USING (tool_call_id)
           WHERE l.attribution = 'tool' AND l.tool_call_id = 1
           ORDER BY l.event_table, l.event_id LIMIT 2`,
        ));
      assert.equal(cited.length, 2, "the fixture's first tool call has linked events");
      await addFindings(rec, [{
        kind: "sensitive_access",
        severity: "high",
        start_ns: cited[0].requested_ns as bigint,
        end_ns: cited[0].result_ns as bigint,
        evidence: ["tool_call:1", ...cited.map((c) => String(c.item))],
        explanation: "A test finding citing the first tool call and what it did.",
        details: '{"test": true}',
      }]);
      const expected = await expectedMarks(rec);
      const links = await withDbOf(rec, (q) =>
        q.scalar(
          `SELECT count(*) FROM links l JOIN actions a USING (recording, event_table, event_id)
           WHERE l.attribution = 'tool' AND (
             (a.event_table = 'process' AND a.op = 'exec')
             OR (a.event_table = 'net' AND a.op IN ('connect', 'dns'))
             OR (a.event_table = 'file' AND a.written AND NOT regexp_matches(a.path, '^/(dev|proc|sys)/')))`,
        ));
      assert.ok(links > 0);
      const prompt = await withDbOf(
        rec,
        async (q) =>
          String(
            (await q.rows("SELECT user_input FROM llm_calls WHERE llm_call_id = 1"))[0].user_input,
          ),
      );
      const report = await buildReport({ recording: rec, out: join(dir, "out"), log: () => {} });

      await withChromium(async (browser) => {
        const t0 = performance.now();
        const { page, log } = await openReport(browser, report.html);
        const loadMs = performance.now() - t0;
        const marks = await countMarks(page);
        for (const [chart, layers] of Object.entries(expected)) {
          for (const [layer, n] of Object.entries(layers)) {
            assert.equal(marks[chart]?.[layer] ?? 0, n, `${chart}: ${layer}`);
          }
        }
        assert.equal(marks.timeline.links, links, "one line per link to an event shown");
        assert.equal(marks.timeline.findings, 1);
        assert.equal(marks.timeline.evidence, 2, "both cited events ringed");
        assert.ok(loadMs < 30_000, `rendered in ${loadMs.toFixed(0)} ms`);

        // hovering the first LLM call shows its prompt
        await page.hover("#chart-timeline g.llm_calls_marks > path >> nth=0");
        await page.waitForSelector("#vg-tooltip-element.visible", { timeout: 5_000 });
        const tip = (await page.textContent("#vg-tooltip-element")) ?? "";
        assert.ok(tip.includes(prompt.replace(/\s+/g, " ").trim().slice(0, 40)), tip);

        mkdirSync(SHOT_DIR, { recursive: true });
        await page.locator("#chart-timeline").screenshot({ path: join(SHOT_DIR, "timeline.png") });

        // clicking the first tool call opens it in the conversation view
        await page.dispatchEvent("#chart-timeline g.tool_calls_marks > path >> nth=0", "click");
        await page.waitForFunction(() => location.hash === "#tool-1");
        assert.equal(
          await page.evaluate(() => document.querySelector("details#call-1")?.hasAttribute("open")),
          true,
        );

        // the finding's link highlights its span on the timeline
        const opacity = () =>
          page.evaluate(() =>
            Number(
              document.querySelector("#chart-timeline g.findings_marks > path")?.getAttribute(
                "opacity",
              ) ?? "1",
            )
          );
        const before = await opacity();
        await page.click("a.show-on-timeline[data-finding='1']");
        await page.waitForFunction(() =>
          (window as unknown as { sightlineViews: { timeline: { signal(n: string): number } } })
            .sightlineViews.timeline.signal("focus_finding") === 1
        );
        await page.waitForFunction(
          (b) =>
            Number(
              document.querySelector("#chart-timeline g.findings_marks > path")?.getAttribute(
                "opacity",
              ),
            ) > b,
          before,
        );
        assert.ok((await opacity()) > before);
        await page.screenshot({ path: join(SHOT_DIR, "report.png"), fullPage: true });
        assertClean(log);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});

Deno.test({
  name: "in Chromium: without links or findings the page says so and shows the rest",
  ignore,
  async fn() {
    const dir = tempDir();
    try {
      const rec = copyFixture("codex_tool_marker", dir);
      await analyse(rec);
      await dropCorrelation(rec);
      const report = await buildReport({ recording: rec, out: join(dir, "out"), log: () => {} });
      const expected = await expectedMarks(rec);
      const [firstExec, firstWrite] = await withDbOf(rec, async (q) => [
        String(
          (await q.rows(
            "SELECT array_to_string(argv, ' ') AS a FROM process WHERE kind = 'exec' ORDER BY ts_ns LIMIT 1",
          ))[0].a,
        ),
        String(
          (await q.rows("SELECT path FROM file_events WHERE written ORDER BY ts_ns LIMIT 1"))[0]
            .path,
        ),
      ]);
      await withChromium(async (browser) => {
        const { page, log } = await openReport(browser, report.html);
        const marks = await countMarks(page);
        for (const [chart, layers] of Object.entries(expected)) {
          for (const [layer, n] of Object.entries(layers)) {
            assert.equal(marks[chart]?.[layer] ?? 0, n, `${chart}: ${layer}`);
          }
        }
        assert.equal(marks.timeline.links, undefined);
        assert.equal(marks.timeline.findings, undefined);
        assert.ok(await page.isVisible("#no-links"));
        assert.ok(await page.isVisible("#no-findings"));

        // hovering an exec and a file write shows the command and the path
        for (const [layer, first] of [["execs", firstExec], ["file_writes", firstWrite]]) {
          await page.dispatchEvent(
            `#chart-timeline g.${layer}_marks > path >> nth=0`,
            "pointermove",
          );
          await page.waitForSelector("#vg-tooltip-element.visible", { timeout: 5_000 });
          const tip = (await page.textContent("#vg-tooltip-element")) ?? "";
          assert.ok(tip.includes(first.slice(0, 60)), `${layer}: ${tip}`);
        }
        assertClean(log);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});

Deno.test({
  name: "in Chromium: prompts, commands and paths that look like markup stay text",
  ignore,
  async fn() {
    const dir = tempDir();
    try {
      const data = fakeReportData();
      const html = join(dir, "hostile.html");
      await Deno.writeTextFile(html, reportPage(data, chartSpecs(data)));
      await withChromium(async (browser) => {
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        const dialogs: string[] = [];
        page.on("dialog", (d) => {
          dialogs.push(d.message());
          d.dismiss();
        });
        const log = watchPage(page);
        await page.goto(`file://${html}`);
        await page.waitForFunction(() => document.body.dataset.charts, null, { timeout: 60_000 });
        assert.equal(await page.evaluate(() => document.body.dataset.charts), "ready");
        assert.equal(
          await page.evaluate(() => (window as { __pwned?: number }).__pwned),
          undefined,
        );
        assert.equal(await page.locator("img").count(), 0);
        assert.deepEqual(dialogs, []);
        // the texts are there, as text (a line separator shown as its escape, as every hidden
        // character is: kit/control_chars.ts)
        await page.click("details#call-1 > summary");
        assert.equal(await page.textContent("details#call-1 pre.user"), showControls(HOSTILE));
        assert.equal(await page.textContent("#finding-1 p"), showControls(HOSTILE));
        assert.ok((await page.textContent("title"))?.includes("fake<i>"));
        await page.hover("#chart-timeline g.llm_calls_marks > path >> nth=0");
        await page.waitForSelector("#vg-tooltip-element.visible", { timeout: 5_000 });
        assert.equal(
          await page.locator("#vg-tooltip-element img, #vg-tooltip-element script").count(),
          0,
        );
        assert.ok((await page.textContent("#vg-tooltip-element"))?.includes("</script><script>"));
        mkdirSync(SHOT_DIR, { recursive: true });
        await page.screenshot({ path: join(SHOT_DIR, "hostile.png") });
        assertClean(log);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});

Deno.test({
  name:
    "in Chromium: MCP calls are bars on their servers' lanes; a click opens one under its tool call",
  ignore,
  async fn() {
    const dir = tempDir();
    try {
      const rec = copyDataset("mcp-claude", dir);
      const report = await buildReport({ recording: rec, out: join(dir, "out"), log: () => {} });
      const [first] = await withDbOf(rec, (q) =>
        q.rows(
          `SELECT m.mcp_call_id, m.tool, k.tool_call_id, t.llm_call_id
           FROM mcp_calls m JOIN mcp_tool_links k USING (recording, mcp_call_id)
           JOIN tool_calls t USING (recording, tool_call_id)
           WHERE m.method = 'tools/call' ORDER BY m.start_ns LIMIT 1`,
        ));
      const expected = await expectedMarks(rec);
      assert.equal(expected.timeline.mcp_calls, 3);
      await withChromium(async (browser) => {
        const { page, log } = await openReport(browser, report.html);
        const marks = await countMarks(page);
        assert.equal(marks.timeline.mcp_calls, 3);
        // hovering the first MCP call: its tool, server and the LLM tool call behind it
        await page.hover("#chart-timeline g.mcp_calls_marks > path >> nth=0");
        await page.waitForSelector("#vg-tooltip-element.visible", { timeout: 5_000 });
        const tip = (await page.textContent("#vg-tooltip-element")) ?? "";
        assert.match(tip, new RegExp(`#${first.mcp_call_id} ${first.tool} to fs`));
        assert.match(tip, new RegExp(`tool call #${first.tool_call_id} mcp__fs__write_file`));
        // clicking it opens the LLM call that asked for it, at the MCP call
        await page.dispatchEvent("#chart-timeline g.mcp_calls_marks > path >> nth=0", "click");
        await page.waitForFunction((id) => location.hash === `#mcp-${id}`, first.mcp_call_id);
        assert.equal(
          await page.evaluate(
            (id) => document.querySelector(`details#call-${id}`)?.hasAttribute("open"),
            first.llm_call_id,
          ),
          true,
        );
        mkdirSync(SHOT_DIR, { recursive: true });
        await page.locator(`#mcp-${first.mcp_call_id}`).screenshot({
          path: join(SHOT_DIR, "mcp.png"),
        });
        assertClean(log);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
