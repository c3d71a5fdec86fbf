/**
 * Tests of `deno task report` on real recordings (the analysis fixtures, copied): the files it
 * writes, the marks of every chart counted in the SVG files against counts taken from the
 * database directly, caps on large input, a database from an older analysis, and bad input.
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { buildReport, chartSpecs, run } from "./report.ts";
import {
  blindSpotsOf,
  OLD_STANDING_BLIND_SPOTS,
  STANDING_BLIND_SPOTS,
} from "../recording/blind_spots.ts";
import { copyRecording } from "../recording/manifest.ts";
import {
  analyse,
  copyDataset,
  copyFixture,
  dropCorrelation,
  expectedMarks,
  svgMarkCounts,
  tempDir,
  withDbOf,
} from "./testing.ts";

const quiet = { log: () => {} };

Deno.test("a report of a real recording: the page and five SVG charts, every mark accounted for", async () => {
  const dir = tempDir();
  try {
    const rec = copyFixture("claude_tool_marker", dir);
    // a database made without correlation: the page says what it lacks
    await analyse(rec);
    await dropCorrelation(rec);
    const out = join(dir, "out");
    const printed: string[] = [];
    assert.equal(await run({ recording: rec, out, print: (l) => printed.push(l), ...quiet }), 0);
    assert.match(
      printed.join("\n"),
      /report\.html \(0\.\d\d MB\) and 5 SVG charts; no links table/,
    );
    assert.ok(existsSync(join(rec, "analysis.duckdb")));
    const names = ["timeline", "tokens", "cost", "models", "latency"];
    for (const f of ["report.html", ...names.map((n) => `${n}.svg`)]) {
      assert.equal(statSync(join(out, f)).mode & 0o777, 0o600, `${f} is private`);
    }
    const expected = await expectedMarks(rec);
    assert.ok(expected.timeline.llm_calls > 0 && expected.timeline.execs > 0);
    for (const [chart, marks] of Object.entries(expected)) {
      const got = svgMarkCounts(await Deno.readTextFile(join(out, `${chart}.svg`)));
      for (const [layer, n] of Object.entries(marks)) {
        assert.equal(got[layer] ?? 0, n, `${chart}: ${layer}`);
      }
    }
    const html = await Deno.readTextFile(join(out, "report.html"));
    // self-contained: no resource from anywhere else (markup outside the inlined scripts)
    const markup = html.replace(/<script[^>]*>.*?<\/script>/gs, "<script></script>");
    assert.doesNotMatch(markup, /<(script|link|img|iframe|object|embed)[^>]+(src|href|data)=/i);
    assert.equal((html.match(/<script data-lib=/g) ?? []).length, 3);
    // one conversation entry per call, and the notices for what this database lacks
    const calls = expected.timeline.llm_calls;
    for (let i = 1; i <= calls; i++) {
      assert.match(html, new RegExp(`<details class="call" id="call-${i}">`));
    }
    assert.match(html, /id="no-links"/);
    assert.match(html, /id="no-findings"/);
    assert.doesNotMatch(html, /id="cuts"/);
    // no MCP in this recording: no MCP section, mark or legend entry anywhere
    assert.equal(expected.timeline.mcp_calls, 0);
    assert.doesNotMatch(markup, /MCP call|class="mcp|id="mcp-/);
    assert.doesNotMatch(await Deno.readTextFile(join(out, "timeline.svg")), /MCP|mcp_calls/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("a report of a recording with MCP: each MCP call under the tool call that caused it, with what its server did, and on the timeline", async () => {
  const dir = tempDir();
  try {
    const rec = copyDataset("mcp-claude", dir);
    const r = await buildReport({ recording: rec, out: join(dir, "out"), ...quiet });
    // what the report should show, read from the analysed tables with queries of our own
    const calls = await withDbOf(rec, (q) =>
      q.rows(
        `SELECT m.mcp_call_id, m.tool, k.tool_call_id, m.server_name, m.latency_ms, m.transport,
           (SELECT count(*) FROM links l WHERE l.tool_call_id = k.tool_call_id
             AND list_contains(l.signals, 'mcp')) AS actions
         FROM mcp_calls m JOIN mcp_tool_links k USING (recording, mcp_call_id)
         WHERE m.method = 'tools/call' ORDER BY m.start_ns`,
      ));
    assert.deepEqual(calls.map((c) => c.tool), ["write_file", "echo", "read_text_file"]);
    assert.equal(r.data.mcpCalls?.length, calls.length);
    const html = await Deno.readTextFile(r.html);
    for (const c of calls) {
      // the MCP call sits inside its LLM tool call's block, before the next tool call
      const tool = html.indexOf(`<div class="tool" id="tool-${c.tool_call_id}">`);
      const mcp = html.indexOf(`<div class="mcp" id="mcp-${c.mcp_call_id}">`);
      assert.ok(
        tool > 0 && mcp > tool,
        `MCP call ${c.mcp_call_id} under tool call ${c.tool_call_id}`,
      );
      assert.equal(html.slice(tool + 1, mcp).indexOf('<div class="tool" '), -1);
      const block = html.slice(mcp, html.indexOf("</div></div>", mcp));
      assert.match(
        block,
        new RegExp(`<code>${c.tool}</code> to server <b>\\w+ / ${c.server_name}`),
      );
      // how it travelled: this recording's servers are the agent's children over stdio
      assert.equal(c.transport, "stdio");
      assert.match(block, /<\/b> over <span class="transport">stdio<\/span> · /);
      assert.match(block, new RegExp(` · ${Number(c.latency_ms).toFixed(1)} ms · `));
      assert.match(block, /<h4>Arguments<\/h4><pre class="input">/);
      assert.match(block, /<h4>Result<\/h4><pre class="result">/);
      assert.match(
        block,
        Number(c.actions)
          ? new RegExp(`Actions of the server for it \\(${c.actions}\\)`)
          : /Actions of the server for it: none recorded/,
      );
    }
    // the write: its arguments, and the server's write of the file among its actions
    const write = html.slice(html.indexOf(`id="mcp-${calls[0].mcp_call_id}"`));
    assert.ok(Number(calls[0].actions) > 0);
    assert.match(
      write.slice(0, 4000),
      /<li><code>open [^<]*\/mcp_out\.txt \(write\)<\/code><\/li>/,
    );
    assert.match(html, /MCP calls on their server&#39;s lane|MCP calls on their server's lane/);
    assert.doesNotMatch(html, /mcp-unlinked/, "every MCP call here was caused by a tool call");
    // the timeline: one bar per MCP call, on the servers' lanes
    const expected = await expectedMarks(rec);
    assert.equal(expected.timeline.mcp_calls, calls.length);
    const marks = svgMarkCounts(await Deno.readTextFile(r.svgs.timeline));
    assert.equal(marks.mcp_calls, calls.length);
    // what the servers did on their own (starting, loading): hovering such an event names
    // the server and says it acted outside its calls, not "no tool call"
    const own = await withDbOf(rec, (q) =>
      q.rows(
        `SELECT a.event_table, a.event_id, a.pid, l.matched FROM links l
         JOIN actions a USING (recording, event_table, event_id)
         WHERE l.attribution = 'mcp_server'`,
      ));
    assert.deepEqual([...new Set(own.map((o) => o.matched))].sort(), ["ev", "fs"]);
    const ownKey = new Map(own.map((o) => [`${o.event_table}:${o.event_id}`, String(o.matched)]));
    const ownPids = new Set(own.map((o) => Number(o.pid)));
    const shown = r.data.events.filter((e) => ownKey.has(`${e.eventTable}:${e.eventId}`));
    assert.ok(shown.length > 0, "some of the servers' own events are on the timeline");
    const rows = (chartSpecs(r.data).timeline as {
      layer: { name: string; data: { values: { pid: number; cause: string }[] } }[];
    }).layer.filter((l) => ["execs", "file_writes", "connections"].includes(l.name))
      .flatMap((l) => l.data.values);
    const said = rows.filter((v) => /^MCP server \w+ on its own/.test(v.cause));
    assert.equal(said.length, shown.length);
    for (const name of new Set(shown.map((e) => ownKey.get(`${e.eventTable}:${e.eventId}`)))) {
      assert.ok(
        said.some((v) =>
          v.cause ===
            `MCP server ${name} on its own, outside its calls (started from the agent's configuration)`
        ),
        `server ${name} named`,
      );
    }
    assert.equal(
      rows.filter((v) => ownPids.has(v.pid) && v.cause === "no tool call").length,
      0,
      "no event of a server's process is left as no tool call",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("caps keep a large recording's page small and say what was cut", async () => {
  const dir = tempDir();
  try {
    const rec = copyFixture("codex_tool_marker", dir);
    await analyse(rec);
    await dropCorrelation(rec); // the caps on their own, without findings' marks
    const full = await buildReport({ recording: rec, out: join(dir, "full"), ...quiet });
    const limits = {
      llmCalls: 1,
      conversationCalls: 1,
      toolCalls: 1,
      eventsPerKind: 2,
      lanes: 3,
      treeProcesses: 4,
      textChars: 50,
    };
    const small = await buildReport({ recording: rec, out: join(dir, "small"), limits, ...quiet });
    assert.ok(full.data.processes.length > 4 && full.data.llmCalls.length > 1);
    const marks = svgMarkCounts(await Deno.readTextFile(small.svgs.timeline));
    assert.equal(marks.llm_calls, 1);
    assert.equal(marks.tool_calls, 1);
    assert.ok(marks.execs <= 2 && marks.file_writes <= 2 && marks.connections <= 2);
    const html = await Deno.readTextFile(small.html);
    // lanes: 2 processes of their own and one shared lane for the rest
    assert.match(html, /… 2 more processes/);
    assert.match(html, /id="cuts"/);
    assert.match(html, /processes in the process tree: 4 of \d+ shown/);
    assert.match(html, /LLM calls in the conversation view: 1 of \d+ shown/);
    assert.match(html, /… cut: 50 of \d+ characters shown/);
    assert.equal((html.match(/<details class="call"/g) ?? []).length, 1);
    assert.ok(small.bytes < full.bytes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("a database from an older analysis is rebuilt before the report", async () => {
  const dir = tempDir();
  try {
    const rec = copyFixture("gemini_tool_marker", dir);
    await analyse(rec);
    await withDbOf(rec, (q) => q.run("DROP TABLE tool_calls"));
    const lines: string[] = [];
    const r = await buildReport({
      recording: rec,
      out: join(dir, "out"),
      log: (l) => lines.push(l),
    });
    assert.match(lines.join("\n"), /has no tool_calls .*analysing it first/);
    assert.ok(r.data.toolCalls.length > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function cli(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", filePath("./report_main.ts", import.meta.url), ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("bad input: one line and exit code 1 for what cannot be read, 2 for bad usage", async () => {
  const dir = tempDir();
  try {
    const empty = join(dir, "empty");
    mkdirSync(empty);
    const cases: [string[], number, RegExp][] = [
      [[], 2, /give a recording directory/],
      [["a", "b"], 2, /give one recording directory/],
      [["--nope", "a"], 2, /nope/],
      [[join(dir, "missing")], 1, /missing: not a directory/],
      [[empty], 1, /empty/],
    ];
    for (const [args, code, message] of cases) {
      const r = await cli(...args);
      assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr.split("\n")[0], message);
      assert.match(r.stderr, /^report: /);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("the report states what the recording cannot show, first what the run ran into", async () => {
  const dir = tempDir();
  try {
    // a recording from before 0.2.0: its manifest lists no blind spots
    const old = copyFixture("claude_tool_marker", join(dir, "old"));
    assert.equal(
      await run({ recording: old, out: join(dir, "out-old"), print: () => {}, ...quiet }),
      0,
    );
    const oldHtml = await Deno.readTextFile(join(dir, "out-old", "report.html"));
    assert.match(oldHtml, /<h2 id="blind-spots">What this recording cannot show<\/h2>/);
    assert.match(oldHtml, /<dt id="blind-before-0\.2\.0">recorded before 0\.2\.0<\/dt>/);
    for (const b of OLD_STANDING_BLIND_SPOTS) {
      assert.ok(oldHtml.includes(`<dt id="blind-${b.id}">${b.title}</dt>`), b.id);
    }
    // it recorded no namespace calls: not said to have
    assert.doesNotMatch(oldHtml, /Entering namespaces is recorded/);
    assert.doesNotMatch(oldHtml, /This run took paths the capture could not record/);
    // the same recording as a 0.2.0 capture states it, with io_uring requests it could not decode
    const rec = copyFixture("claude_tool_marker", join(dir, "new"));
    const m = JSON.parse(await Deno.readTextFile(join(rec, "manifest.json")));
    m.blind_spots = blindSpotsOf({ requests: { fsetxattr: 2, uring_cmd: 1 }, recorded: {} }, true, {
      kprobes: false,
      fentry: false,
      bpf_lsm: false,
      why: { kprobes: "no kprobe event source", fentry: "load: Invalid argument" },
    });
    await Deno.writeTextFile(join(rec, "manifest.json"), JSON.stringify(m));
    assert.equal(
      await run({ recording: rec, out: join(dir, "out-new"), print: () => {}, ...quiet }),
      0,
    );
    const html = await Deno.readTextFile(join(dir, "out-new", "report.html"));
    assert.match(
      html,
      /This run took paths the capture could not record: <b>io_uring requests not decoded<\/b> \(3\)/,
    );
    assert.match(html, /kprobes: not available \(no kprobe event source\); fentry: not available/);
    assert.doesNotMatch(html, /recorded before 0\.2\.0/);
    for (const b of STANDING_BLIND_SPOTS) {
      assert.ok(html.includes(`<dt id="blind-${b.id}">${b.title}</dt>`), b.id);
    }
    // and the analysis counts it as a problem
    const problems = await withDbOf(
      rec,
      (q) => q.rows("SELECT kind, source, message FROM problems WHERE kind = 'blind'"),
    );
    assert.equal(problems.length, 1);
    assert.match(String(problems[0].message), /3 io_uring requests .*fsetxattr 2, uring_cmd 1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("the report lists the recording's problems, not only their count", async () => {
  const dir = tempDir();
  try {
    // a capture that did not end cleanly, with a process.arrow cut short
    const rec = copyFixture("claude_tool_marker", join(dir, "rec"));
    const m = JSON.parse(await Deno.readTextFile(join(rec, "manifest.json")));
    await Deno.writeTextFile(join(rec, "manifest.json"), JSON.stringify({ ...m, complete: false }));
    const proc = await Deno.readFile(join(rec, "process.arrow"));
    await Deno.writeFile(join(rec, "process.arrow"), proc.subarray(0, proc.length - 100));
    // written from what could be read; exit 1, as process.arrow was cut short
    assert.equal(
      await run({ recording: rec, out: join(dir, "out"), print: () => {}, ...quiet }),
      1,
    );
    const html = await Deno.readTextFile(join(dir, "out", "report.html"));
    const problems = await withDbOf(rec, (q) => q.rows("SELECT source, message FROM problems"));
    assert.ok(problems.length >= 2);
    assert.match(html, /<a href="#problems">Problems<\/a>/);
    assert.match(html, /<h2 id="problems">Problems<\/h2>/);
    for (const p of problems) {
      const esc = String(p.message).replaceAll("&", "&amp;").replaceAll("<", "&lt;")
        .replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");
      assert.ok(html.includes(esc), `problem listed: ${p.source}: ${p.message}`);
    }
    assert.match(html, /did not end cleanly \(manifest complete: false\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("an exfiltration over plain HTTP to the LAN: the finding's evidence names what was sent, at its time", async () => {
  const dir = tempDir();
  try {
    // the ollama npm client's tool call curls .env to an upload server on a LAN address
    const rec = copyRecording(
      filePath("../tests/fixtures/ollama/lan_upload", import.meta.url),
      join(dir, "lan_upload"),
    );
    const out = join(dir, "out");
    assert.equal(await run({ recording: rec, out, print: () => {}, ...quiet }), 0);
    const html = await Deno.readTextFile(join(out, "report.html"));
    const [x] = await withDbOf(rec, (q) =>
      q.rows(
        "SELECT exchange_id, pid FROM http_exchanges WHERE path = '/upload' AND llm_call_id IS NULL",
      ));
    // the exchange cited, with its time, its process and what it carried (not a bare id)
    assert.match(
      html,
      new RegExp(
        `<code>http_exchange:${x.exchange_id}</code> \\d+\\.\\d{3} s \\([\\d:.]+\\) pid ${x.pid}: ` +
          `<code>HTTP POST 10\\.213\\.7\\.1:\\d+/upload → 201, 31 bytes sent</code>`,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
