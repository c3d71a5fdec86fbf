/**
 * The conversation view: every LLM call as a collapsed `<details>` block holding its turns —
 * the system prompt (shown once, then only when it changes), the user's new input, the tool
 * results the request carried back, the model's thinking, its text and the tool calls it asked
 * for, each with its input and, when it went through an MCP server, that MCP call (server,
 * tool, arguments, result, latency and the actions the server took for it), and the tools the
 * provider ran within the answer (web search, code execution: what each was asked and gave,
 * not the agent's actions). MCP calls no LLM
 * tool call caused are listed after the calls, only when there are some. Texts are escaped and
 * shown as they were (pre-formatted); a text cut at the report's limit says how long it was.
 * Calls, tool calls and MCP calls have anchors (`call-N`, `tool-N`, `mcp-N`) the timeline and
 * the findings link to.
 */
import { h, type Html, join } from "./html.ts";
import type {
  LlmCall,
  McpCall,
  ReportData,
  ServerToolCall,
  Text,
  ToolCall,
} from "./report_data.ts";
import { clock, excerpt, mcpServerLabel, mcpTransport } from "./timeline_chart.ts";

function textBlock(t: Text | null, cls: string): Html {
  if (!t || t.text === "") return h``;
  const cut = t.full > t.text.length
    ? h`<div class="cut">… cut: ${t.text.length} of ${t.full} characters shown</div>`
    : "";
  return h`<pre class="${cls}">${t.text}</pre>${cut}`;
}

function prettyInput(t: ToolCall): Text {
  if (t.input.full > t.input.text.length) return t.input;
  try {
    const v = JSON.parse(t.input.text);
    const text = typeof v === "string" ? v : JSON.stringify(v, null, 2);
    return { text, full: text.length };
  } catch {
    return t.input;
  }
}

function prettyJson(t: Text): Text {
  if (t.full > t.text.length) return t;
  try {
    const text = JSON.stringify(JSON.parse(t.text), null, 2);
    return { text, full: text.length };
  } catch {
    return t;
  }
}

function mcpOutcome(m: McpCall): string {
  if (m.endNs === null) return "no answer seen";
  if (m.errorCode !== null) return `JSON-RPC error ${m.errorCode}: ${m.errorMessage ?? ""}`;
  return m.isError ? "answered with isError" : "answered";
}

const latency = (m: McpCall) => m.latencyMs === null ? "?" : `${m.latencyMs.toFixed(1)} ms`;

/** One MCP call in full: what was asked of which server, what came back, what it did. */
function mcpCallHtml(m: McpCall): Html {
  const more = m.actions - m.actionLabels.length;
  return h`<div class="mcp" id="mcp-${m.id}"><div><b>MCP call #${m.id}</b> <code>${
    m.tool ?? "?"
  }</code> to server <b>${mcpServerLabel(m)}</b> over <span class="transport">${
    mcpTransport(m)
  }</span> · ${latency(m)} · <span class="${
    m.isError || m.errorCode !== null ? "exit failed" : "meta"
  }">${mcpOutcome(m)}</span></div><h4>Arguments</h4>${textBlock(prettyJson(m.arguments), "input")}${
    m.result ? h`<h4>Result</h4>${textBlock(prettyJson(m.result), "result")}` : ""
  }<h4>${
    m.actions === 0
      ? "Actions of the server for it: none recorded"
      : `Actions of the server for it (${m.actions})`
  }</h4>${
    m.actionLabels.length
      ? h`<ul class="mcp-actions">${m.actionLabels.map((l) => h`<li><code>${l}</code></li>`)}${
        more > 0 ? h`<li class="cut">… ${more} more</li>` : ""
      }</ul>`
      : ""
  }</div>`;
}

function toolCallHtml(t: ToolCall, mcp: McpCall[]): Html {
  const result = t.resultLlmCallId === null
    ? h`<div class="meta">no result went back to the model</div>`
    : h`<div class="meta">result went back in <a href="#call-${t.resultLlmCallId}">call #${t.resultLlmCallId}</a>${
      t.resultIsError ? " (marked as an error)" : ""
    }</div>`;
  return h`<div class="tool" id="tool-${t.id}"><div><b>tool call #${t.id}</b> <code>${t.name}</code>${
    t.providerCallId ? h` <span class="meta">${t.providerCallId}</span>` : ""
  }${outcomeHtml(t)}</div>${textBlock(prettyInput(t), "input")}${result}${
    mcp.map(mcpCallHtml)
  }</div>`;
}

/**
 * How the tool call's command ended by the kernel's evidence (`tool_outcomes`), whatever the
 * agent flagged: failed in red, else plain; nothing for a tool that ran no process.
 */
function outcomeHtml(t: ToolCall): Html | string {
  if (t.outcome === null || t.outcome === "no process") return "";
  const by = t.killedByPid === null ? "" : ` by pid ${t.killedByPid}`;
  return h` <span class="exit ${
    t.outcomeFailed ? "failed" : "ok"
  }" title="by the kernel's evidence">${t.outcome}${by}</span>`;
}

/** A tool the provider ran within the answer: its name, what it was asked and what it gave. */
function serverToolHtml(t: ServerToolCall): Html {
  return h`<div class="tool server-tool" id="server-tool-${t.id}"><div><b>server tool call #${t.id}</b> <code>${t.name}</code>${
    t.providerCallId ? h` <span class="meta">${t.providerCallId}</span>` : ""
  }${t.resultType ? h` <span class="meta">${t.resultType}</span>` : ""}${
    t.resultIsError ? h` <span class="exit failed">error</span>` : ""
  }</div>${textBlock(prettyJson(t.input), "input")}${
    t.result
      ? h`<h4>Result</h4>${textBlock(prettyJson(t.result), "result")}`
      : h`<div class="meta">no result in the answer</div>`
  }</div>`;
}

function toolResultHtml(t: ToolCall): Html {
  return h`<div class="tool-result"><div><a href="#tool-${t.id}">tool call #${t.id}</a> <code>${t.name}</code> (asked in <a href="#call-${t.llmCallId}">call #${t.llmCallId}</a>)${
    t.resultIsError ? h` <span class="exit failed">error</span>` : ""
  }</div>${textBlock(t.result, "result")}</div>`;
}

function section(title: string, body: Html | string, cls: string): Html {
  return h`<div class="turn ${cls}"><h4>${title}</h4>${body}</div>`;
}

function summaryLine(c: LlmCall, t0: bigint): string {
  const at = c.requestNs === null ? "?" : `${(Number(c.requestNs - t0) / 1e9).toFixed(3)} s`;
  const parts = [
    `#${c.id}`,
    `${at} (${clock(c.requestNs)} UTC)`,
    `${c.agent ?? "?"} pid ${c.pid}`,
    c.model ?? "?",
    c.kind === "side" ? `side call${c.sideKind ? `: ${c.sideKind}` : ""}` : "main",
    ...(c.transport === "websocket" ? ["over a WebSocket"] : []),
    `${c.inputTokens ?? "?"} → ${c.outputTokens ?? "?"} tokens`,
    c.costUsd === null ? "unpriced" : `$${c.costUsd.toFixed(6)}`,
  ];
  if (c.toolCallCount) parts.push(`${c.toolCallCount} tool call${c.toolCallCount > 1 ? "s" : ""}`);
  if (c.serverToolCallCount) {
    parts.push(
      `${c.serverToolCallCount} server tool call${c.serverToolCallCount > 1 ? "s" : ""}`,
    );
  }
  if (c.incomplete) parts.push("incomplete");
  if (c.error) parts.push("error");
  return parts.join(" · ");
}

/**
 * The MCP calls that no LLM tool call caused (a program the model ran speaking MCP, a server
 * the agent did not name to the model), as one line each; nothing when there are none.
 */
export function unlinkedMcpHtml(data: ReportData): Html | string {
  const rest = (data.mcpCalls ?? []).filter((m) => m.toolCallId === null);
  if (!rest.length) return "";
  return h`<h3 id="mcp-unlinked">MCP calls no LLM tool call caused</h3><ul class="mcp-unlinked">${
    rest.map((m) =>
      h`<li id="mcp-${m.id}"><b>MCP call #${m.id}</b> <code>${m.tool ?? "?"}</code> to server ${
        mcpServerLabel(m)
      } over ${mcpTransport(m)} from pid ${m.clientPid} at ${clock(m.startNs)} UTC · ${
        latency(m)
      } · ${mcpOutcome(m)} · ${m.actions} actions linked: <code>${
        excerpt(m.arguments.text)
      }</code></li>`
    )
  }</ul>`;
}

/** The calls, collapsed. */
export function conversationHtml(data: ReportData): Html {
  const calls = data.llmCalls.slice(0, data.limits.conversationCalls);
  if (!calls.length) return h`<p class="notice">No LLM calls were recorded.</p>`;
  const mcpOf = new Map<number, McpCall[]>();
  for (const m of data.mcpCalls ?? []) {
    if (m.toolCallId !== null) mcpOf.set(m.toolCallId, [...(mcpOf.get(m.toolCallId) ?? []), m]);
  }
  const ranBy = Map.groupBy(data.serverToolCalls ?? [], (t) => t.llmCallId);
  const asked = new Map<number, ToolCall[]>();
  const carried = new Map<number, ToolCall[]>();
  for (const t of data.toolCalls) {
    asked.set(t.llmCallId, [...(asked.get(t.llmCallId) ?? []), t]);
    if (t.resultLlmCallId !== null) {
      carried.set(t.resultLlmCallId, [...(carried.get(t.resultLlmCallId) ?? []), t]);
    }
  }
  const lastPrompt = new Map<string, { hash: string; call: number }>();
  const blocks = calls.map((c, i) => {
    if (i >= data.conversationTextCalls) {
      return h`<details class="call" id="call-${c.id}"><summary>${
        summaryLine(c, data.overview.t0)
      }</summary><div class="turns cut">texts not shown: the page's budget of ${data.limits.pageTextChars} characters of text is spent (see <code>deno task sql</code> for the rest)</div></details>`;
    }
    const who = `${c.pid}`;
    let system: Html | string = "";
    if (c.systemPrompt && c.systemPromptHash) {
      const prev = lastPrompt.get(who);
      if (prev && prev.hash === c.systemPromptHash) {
        system =
          h`<div class="turn system meta">system prompt: the same as in <a href="#call-${prev.call}">call #${prev.call}</a></div>`;
      } else {
        system =
          h`<details class="turn system"><summary>System prompt (${c.systemPrompt.full} characters)</summary>${
            textBlock(c.systemPrompt, "system")
          }</details>`;
        lastPrompt.set(who, { hash: c.systemPromptHash, call: c.id });
      }
    }
    const results = carried.get(c.id) ?? [];
    const tools = asked.get(c.id) ?? [];
    const missingTools = c.toolCallCount - tools.length;
    const turns = [
      system,
      c.userInput?.text ? section("User input", textBlock(c.userInput, "user"), "user") : "",
      results.length
        ? section("Tool results sent back", join(results.map(toolResultHtml)), "results")
        : c.toolResultCount
        ? section(
          "Tool results sent back",
          `${c.toolResultCount} (not matched to a tool call)`,
          "results",
        )
        : "",
      c.thinking?.text ? section("Thinking", textBlock(c.thinking, "thinking"), "thinking") : "",
      c.assistantText?.text ? section("Answer", textBlock(c.assistantText, "text"), "text") : "",
      tools.length || missingTools > 0
        ? section(
          "Tool calls",
          h`${tools.map((t) => toolCallHtml(t, mcpOf.get(t.id) ?? []))}${
            missingTools > 0
              ? h`<div class="cut">… ${missingTools} more tool calls not shown</div>`
              : ""
          }`,
          "tools",
        )
        : "",
      ranBy.get(c.id)?.length
        ? section(
          "Tools the provider ran within the answer",
          join(ranBy.get(c.id)!.map(serverToolHtml)),
          "server-tools",
        )
        : "",
      h`<div class="meta">${c.provider} ${c.endpoint}${c.streaming ? ", streamed" : ""}; status ${
        c.status ?? "?"
      }; stop: ${
        c.stopReason ?? "?"
      }; ${c.messages} messages, ${c.toolsOffered} tools offered; TTFT ${
        c.ttftMs === null ? "?" : `${c.ttftMs.toFixed(1)} ms`
      }, total ${c.durationMs === null ? "?" : `${c.durationMs.toFixed(1)} ms`}</div>`,
      c.error ? h`<div class="turn error"><h4>Error</h4><pre>${c.error}</pre></div>` : "",
    ];
    return h`<details class="call" id="call-${c.id}"><summary>${
      summaryLine(c, data.overview.t0)
    }</summary><div class="turns">${turns}</div></details>`;
  });
  return join(blocks);
}
