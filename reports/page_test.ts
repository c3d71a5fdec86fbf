/**
 * Tests of the page's parts on synthetic data: the conversation view (system prompt shown
 * once, texts escaped, cut texts and the text budget said), the process tree (pid reuse, exit
 * codes), the timeline's lanes (tree order, the shared overflow lane), and the size of a page
 * built from the most data the caps let through.
 */
import assert from "node:assert/strict";
import { conversationHtml } from "./conversation_view.ts";
import { escapeHtml } from "./html.ts";
import { reportPage } from "./page.ts";
import { processTreeHtml } from "./process_tree.ts";
import { chartSpecs } from "./report.ts";
import {
  callsWithinTextBudget,
  DEFAULT_LIMITS,
  type LlmCall,
  type Proc,
  type ReportData,
  type TimelineEvent,
  type ToolCall,
} from "./report_data.ts";
import { fakeReportData, HOSTILE } from "./testing.ts";
import { timelineLanes } from "./timeline_chart.ts";

function withCalls(n: number, textLen: number): ReportData {
  const d = fakeReportData();
  const base = d.llmCalls[0];
  const text = { text: "x".repeat(textLen), full: textLen * 2 };
  d.llmCalls = Array.from({ length: n }, (_, i): LlmCall => ({
    ...base,
    id: i + 1,
    requestNs: base.requestNs! + BigInt(i) * 1_000_000n,
    endNs: base.endNs! + BigInt(i) * 1_000_000n,
    systemPrompt: text,
    userInput: text,
    assistantText: text,
    thinking: text,
  }));
  d.toolCalls = [];
  d.conversationTextCalls = callsWithinTextBudget(
    d.llmCalls.slice(0, d.limits.conversationCalls),
    d.toolCalls,
    d.limits.pageTextChars,
  );
  return d;
}

Deno.test("conversation: the system prompt once, texts escaped, cuts said", () => {
  const d = fakeReportData();
  d.llmCalls.push({ ...d.llmCalls[0], id: 2, userInput: { text: "second", full: 6 } });
  d.conversationTextCalls = 2;
  const html = conversationHtml(d).html;
  assert.equal((html.match(/<details class="call"/g) ?? []).length, 2);
  assert.equal((html.match(/System prompt \(/g) ?? []).length, 1);
  assert.match(html, /system prompt: the same as in <a href="#call-1">call #1<\/a>/);
  assert.ok(html.includes(`<pre class="user">${escapeHtml(HOSTILE)}</pre>`));
  assert.ok(!html.includes(HOSTILE), "no raw hostile text");
  assert.match(html, /… cut: \d+ of 40000 characters shown/);
  // the tool call asked in call 1, with its command
  assert.match(html, /<div class="tool" id="tool-1"><div><b>tool call #1<\/b> <code>Bash<\/code>/);
  // the MCP call it caused, under it: server, tool, latency, and what the server did for it
  const mcp = html.slice(html.indexOf('id="tool-1"'), html.lastIndexOf("</details>"));
  assert.match(mcp, /<div class="mcp" id="mcp-7"><div><b>MCP call #7<\/b> <code>write_file &lt;/);
  assert.match(
    mcp,
    /to server <b>fs \/ fs-server &lt;\/script&gt;.* \(pid 101\)<\/b> over <span class="transport">stdio<\/span> · 1\.0 ms · /s,
  );
  assert.match(
    mcp,
    /Actions of the server for it \(3\)<\/h4><ul class="mcp-actions"><li><code>write &lt;/,
  );
  assert.match(mcp, /<li class="cut">… 1 more<\/li>/);
  // the web search the provider ran within call 1's answer: its own section, not a tool call
  // of the agent's; its query and result escaped
  const ran = html.slice(html.indexOf("Tools the provider ran within the answer"));
  assert.match(
    ran,
    /^Tools the provider ran within the answer<\/h4><div class="tool server-tool" id="server-tool-1"><div><b>server tool call #1<\/b> <code>web_search<\/code> <span class="meta">srvtoolu_1<\/span> <span class="meta">web_search_tool_result<\/span><\/div>/,
  );
  assert.ok(ran.includes(`<pre class="result">${escapeHtml(HOSTILE)}</pre>`));
  assert.match(html, /1 tool call · 1 server tool call/);
});

Deno.test("conversation: each tool call says how its command ended by the kernel's evidence", () => {
  const d = fakeReportData();
  const t = d.toolCalls[0];
  const head = (o: Partial<ToolCall>) => {
    d.toolCalls = [{ ...t, ...o }];
    const html = conversationHtml(d).html;
    return html.slice(
      html.indexOf('<div class="tool" id="tool-1">'),
      html.indexOf("</div>", html.indexOf('id="tool-1"')),
    );
  };
  assert.match(
    head({}),
    /<code>Bash<\/code> <span class="meta">toolu_1<\/span> <span class="exit failed" title="by the kernel's evidence">killed SIGKILL by pid 7<\/span>$/,
  );
  // a failed command the agent did not flag (Gemini CLI, Qwen Code, opencode)
  assert.match(
    head({ outcome: "exited 2", outcomeFailed: true, killedByPid: null, resultIsError: false }),
    /<span class="exit failed" title="by the kernel's evidence">exited 2<\/span>$/,
  );
  assert.match(
    head({ outcome: "exited 0", outcomeFailed: false, killedByPid: null }),
    /<span class="exit ok" title="by the kernel's evidence">exited 0<\/span>$/,
  );
  assert.doesNotMatch(
    head({ outcome: "no process", outcomeFailed: null, killedByPid: null }),
    /exit/,
  );
});

Deno.test("MCP: calls no tool call caused get their own list; without MCP calls, no MCP section", () => {
  const d = fakeReportData();
  const none = reportPage({ ...d, mcpCalls: [] }, chartSpecs({ ...d, mcpCalls: [] }));
  const old = reportPage({ ...d, mcpCalls: null }, chartSpecs({ ...d, mcpCalls: null }));
  for (const page of [none, old]) {
    assert.doesNotMatch(page, /MCP call #|class="mcp|id="mcp-|mcp-unlinked/);
    assert.doesNotMatch(JSON.stringify(chartSpecs({ ...d, mcpCalls: [] })), /MCP call/);
  }
  d.mcpCalls!.push({ ...d.mcpCalls![0], id: 8, toolCallId: null, isError: true });
  const page = reportPage(d, chartSpecs(d));
  assert.match(page, /<h3 id="mcp-unlinked">MCP calls no LLM tool call caused<\/h3>/);
  assert.match(
    page,
    /<li id="mcp-8"><b>MCP call #8<\/b>.* answered with isError · 3 actions linked/s,
  );
  assert.ok(!page.includes(HOSTILE), "no raw hostile text");
  const layer =
    (chartSpecs(d).timeline as { layer: { name: string; data: { values: unknown[] } }[] })
      .layer.find((l) => l.name === "mcp_calls");
  assert.equal(layer?.data.values.length, 2);
});

Deno.test("MCP: the transport is said, with the server's port over HTTP, on the page and the timeline", () => {
  const d = fakeReportData();
  d.mcpCalls!.push({ ...d.mcpCalls![0], id: 8, transport: "http", serverPort: 8123 });
  d.mcpCalls!.push({
    ...d.mcpCalls![0],
    id: 9,
    toolCallId: null,
    transport: "sse",
    serverPort: 9001,
  });
  d.mcpCalls!.push({
    ...d.mcpCalls![0],
    id: 10,
    transport: "http",
    serverPid: null,
    procKey: null,
    serverPort: 443,
    serverHost: "mcp.example.com",
  });
  const page = reportPage(d, chartSpecs(d));
  assert.match(page, /id="mcp-7">.*? over <span class="transport">stdio<\/span> · /s);
  assert.match(page, /id="mcp-8">.*? over <span class="transport">http, port 8123<\/span> · /s);
  assert.match(page, /<li id="mcp-9">.*? over sse, port 9001 from pid 100 /s);
  assert.match(
    page,
    /id="mcp-10">.*? \(remote, mcp\.example\.com\)<\/b> over <span class="transport">http over TLS, mcp\.example\.com port 443<\/span> · /s,
  );
  const layer =
    (chartSpecs(d).timeline as { layer: { name: string; data: { values: unknown[] } }[] })
      .layer.find((l) => l.name === "mcp_calls")!;
  assert.deepEqual(
    (layer.data.values as { transport: string }[]).map((v) => v.transport),
    ["stdio", "http, port 8123", "sse, port 9001", "http over TLS, mcp.example.com port 443"],
  );
});

Deno.test("timeline: an event an MCP server did on its own names the server, not 'no tool call'", () => {
  const d = fakeReportData();
  d.links = [];
  const causes = () =>
    ((chartSpecs(d).timeline as { layer: { name: string; data: { values: unknown[] } }[] })
      .layer.find((l) => l.name === "execs")!.data.values as { cause: string }[])
      .map((v) => v.cause);
  assert.deepEqual(causes(), ["no tool call"]);
  const e = d.events[0];
  d.serverLinks = [{
    eventTable: e.eventTable,
    eventId: e.eventId,
    server: "fs",
    signals: ["mcp_config", "mcp_server"],
  }];
  assert.deepEqual(causes(), [
    "MCP server fs on its own, outside its calls (started from the agent's configuration)",
  ]);
  // a tool call's link wins where both exist (correlation gives an event one attribution)
  d.links = [{
    toolCallId: 1,
    eventTable: e.eventTable,
    eventId: e.eventId,
    signals: ["lineage"],
    confidence: 0.9,
    matched: null,
  }];
  assert.match(causes()[0], /^tool call #1 Bash \(lineage; confidence 0\.90\)$/);
});

Deno.test("the text budget stops texts, not the list of calls", () => {
  const d = withCalls(50, 10_000);
  d.limits.pageTextChars = 100_000;
  d.conversationTextCalls = callsWithinTextBudget(d.llmCalls, [], 100_000);
  // call 1: system + 3 texts = 40k; later calls 30k each (same system prompt)
  assert.equal(d.conversationTextCalls, 3);
  const html = conversationHtml(d).html;
  assert.equal((html.match(/<details class="call"/g) ?? []).length, 50);
  assert.equal((html.match(/texts not shown: the page's budget/g) ?? []).length, 47);
});

Deno.test("process tree: pid reuse keeps each incarnation under its own parent; exits shown", () => {
  const d = fakeReportData();
  const t0 = d.overview.t0;
  const mk = (
    pid: number,
    start: bigint,
    parentKey: string | null,
    extra: Partial<Proc>,
  ): Proc => ({
    ...d.processes[1],
    key: `${pid}:${start}`,
    pid,
    startNs: start,
    parentKey,
    argv: [`prog${pid}`, String(start)],
    ...extra,
  });
  const a = mk(1, t0, null, { exitCode: 0 });
  const b = mk(2, t0 + 1n, a.key, { exitCode: 2 });
  const c = mk(3, t0 + 2n, a.key, { exitCode: null, exitSignal: 9 });
  const term = mk(4, t0 + 3n, a.key, { exitCode: null, exitSignal: 15, killedByPid: 1 });
  const again = mk(2, t0 + 10n, c.key, { exitCode: null, endNs: null });
  d.processes = [a, b, c, term, again];
  const html = processTreeHtml(d).html;
  // pid 2's second life is inside pid 3's list
  const inThree = html.slice(html.indexOf(`id="proc-3-${t0 + 2n}"`));
  assert.ok(inThree.includes(`id="proc-2-${t0 + 10n}"`));
  assert.match(html, /<span class="exit failed">exit 2<\/span>/);
  assert.match(html, /<span class="exit failed">signal 9<\/span>/);
  // the signal a traced process sent it (processes.killed_by_pid)
  assert.match(html, /<span class="exit failed">signal 15 from pid 1<\/span>/);
  assert.match(html, /<span class="exit ok">running at the end<\/span>/);
});

Deno.test("timeline lanes follow the tree and share one lane beyond the limit", () => {
  const d = fakeReportData();
  const t0 = d.overview.t0;
  const root = { ...d.processes[0] };
  const kids = Array.from({ length: 10 }, (_, i): Proc => ({
    ...d.processes[1],
    key: `${200 + i}:${t0 + BigInt(i)}`,
    pid: 200 + i,
    startNs: t0 + BigInt(i),
    parentKey: root.key,
    events: i === 7 ? 5 : 0,
  }));
  d.processes = [root, ...kids];
  d.limits = { ...d.limits, lanes: 4 };
  const { lanes, laneOf } = timelineLanes(d);
  assert.equal(lanes.length, 4);
  assert.equal(lanes[0].label, "claude-code · 100 node", "the agent keeps its lane, first");
  assert.ok(
    lanes.some((l) => l.label === "claude-code · 207 sh"),
    "the busiest child keeps its lane",
  );
  assert.equal(lanes[3].label, "… 8 more processes");
  assert.equal(laneOf.get(kids[9].key), "… 8 more processes");
});

Deno.test("a page built from as much data as the caps let through stays small", () => {
  const d = withCalls(DEFAULT_LIMITS.llmCalls, DEFAULT_LIMITS.textChars);
  const tool = d.toolCalls[0] ?? fakeReportData().toolCalls[0];
  const big = { text: "y".repeat(DEFAULT_LIMITS.textChars), full: 1e6 };
  d.toolCalls = Array.from({ length: DEFAULT_LIMITS.toolCalls }, (_, i): ToolCall => ({
    ...tool,
    id: i + 1,
    llmCallId: (i % d.llmCalls.length) + 1,
    input: big,
    result: big,
    resultLlmCallId: (i % d.llmCalls.length) + 2,
  }));
  const ev = fakeReportData().events[0];
  d.events = (["exec", "write", "net"] as const).flatMap((kind) =>
    Array.from({ length: DEFAULT_LIMITS.eventsPerKind }, (_, i): TimelineEvent => ({
      ...ev,
      kind,
      eventId: i,
      label: "z".repeat(500),
    }))
  );
  const mcp = fakeReportData().mcpCalls![0];
  d.mcpCalls = Array.from({ length: DEFAULT_LIMITS.mcpCalls }, (_, i) => ({
    ...mcp,
    id: i + 1,
    toolCallId: i + 1,
    arguments: big,
    result: big,
    actionLabels: Array.from({ length: DEFAULT_LIMITS.actionsPerMcpCall }, () => "w".repeat(300)),
  }));
  d.conversationTextCalls = callsWithinTextBudget(
    d.llmCalls.slice(0, d.limits.conversationCalls),
    d.toolCalls,
    d.limits.pageTextChars,
    d.mcpCalls,
  );
  const page = reportPage(d, chartSpecs(d));
  const mb = new TextEncoder().encode(page).length / 1e6;
  // about 6.6 MB: 0.85 MB of vega, 1 MB of conversation text, the rest chart data
  assert.ok(mb < 8, `page is ${mb.toFixed(1)} MB`);
  assert.match(page, /texts not shown: the page's budget/);
});
