/**
 * OpenAI Responses API (`POST /v1/responses`): the request (instructions, input items with
 * developer/system/user messages and function_call_output / custom_tool_call_output items,
 * tools, text format) and the answer, streamed (`response.*` events: output items, text,
 * reasoning summary, function-call arguments and custom-tool input deltas, `response.completed`
 * with usage) or as one response object.
 */
import {
  apiError,
  apiErrorType,
  arr,
  compactJson,
  type Conversation,
  emptyRequest,
  emptyResponse,
  type History,
  historyOf,
  hostedToolOf,
  isObj,
  joinNonEmpty,
  jsonText,
  notUnderstood,
  num,
  type Obj,
  type OfferedTool,
  type ReadOptions,
  type RequestInfo,
  type ResponseInfo,
  type ServerToolOut,
  str,
  type StreamReader,
  textOf,
  textWithMedia,
  type ToolCallOut,
  type ToolResultIn,
  type UsageFields,
  usageFrom,
  wholeResponse,
} from "./shapes.ts";

const MODEL_ITEMS = new Set([
  "reasoning",
  "function_call",
  "custom_tool_call",
  "local_shell_call",
  "shell_call",
  "apply_patch_call",
  "computer_call",
  "mcp_call",
  "mcp_list_tools",
  "mcp_approval_request",
  "web_search_call",
  "file_search_call",
  "code_interpreter_call",
  "image_generation_call",
  "tool_search_call",
]);

/**
 * Output items in which the model calls a built-in tool the client runs (each answered by a
 * `TYPE_output` item with the same call_id) or one run for it (`mcp_call`: the API calls the
 * remote MCP server), with the name the tool goes by; their input is the item's `action` or
 * `operation`, or its `arguments` (mcp_call).
 */
const BUILT_IN_CALLS: Readonly<Record<string, string>> = {
  local_shell_call: "local_shell",
  shell_call: "shell",
  apply_patch_call: "apply_patch",
  computer_call: "computer",
};

/**
 * Output items in which the API runs a tool for the model within the answer (its hosted
 * tools), with the name the tool goes by: not the client's actions. A `tool_search_call` is
 * one when its `execution` is `server`; run by the client (`client`: Codex searches its
 * deferred MCP tools itself, a tool of its registry like any other) it is a tool call, named
 * `tool_search`, answered by a `tool_search_output` item with the same call_id.
 */
const SERVER_CALLS: Readonly<Record<string, string>> = {
  web_search_call: "web_search",
  file_search_call: "file_search",
  code_interpreter_call: "code_interpreter",
  image_generation_call: "image_generation",
  mcp_call: "mcp",
};

/** Output items that are neither text, reasoning nor a call of a tool (nothing to read). */
const QUIET_ITEMS = new Set(["mcp_list_tools", "mcp_approval_request"]);

/** The tool name a client-run tool search goes by (the Responses API's and Codex's). */
export const TOOL_SEARCH = "tool_search";

/** A `tool_search_call` item the API ran itself (else the client runs it: a tool call). */
const serverSearch = (it: Obj) => it.type === "tool_search_call" && it.execution === "server";

/** Stream event families whose items the `response.output_item.done` event gives whole. */
const QUIET_EVENT = new RegExp(
  "^response\\.(?:queued|(?:output_text|reasoning_text|reasoning_summary_text|refusal|" +
    "function_call_arguments|custom_tool_call_input|mcp_call_arguments|" +
    "code_interpreter_call_code)\\.done|content_part\\.(?:added|done)|" +
    "reasoning_summary_part\\.(?:added|done)|output_text\\.annotation\\.added|" +
    "(?:web_search_call|file_search_call|code_interpreter_call|image_generation_call|mcp_call|" +
    "mcp_list_tools)\\.[a-z_]+|mcp_call_arguments\\.delta|code_interpreter_call_code\\.delta)$",
);

/** A server tool item as the analysis keeps it: what it was asked and what it gave. */
function serverTool(it: Obj): ServerToolOut {
  const type = String(it.type);
  const failed = it.status === "failed" || it.status === "incomplete" ||
    (it.error !== undefined && it.error !== null);
  let input: unknown;
  let result: unknown;
  switch (type) {
    case "web_search_call":
      input = it.action ?? {};
      result = isObj(it.action) && Array.isArray(it.action.sources) ? it.action.sources : undefined;
      break;
    case "file_search_call":
      input = { queries: it.queries ?? [] };
      result = it.results ?? undefined;
      break;
    case "code_interpreter_call":
      input = { code: it.code ?? "", container_id: it.container_id };
      result = arr(it.outputs).filter(isObj).map((o) =>
        o.type === "logs" ? String(o.logs ?? "") : compactJson(o)
      ).join("\n");
      break;
    case "image_generation_call":
      input = it.revised_prompt !== undefined ? { revised_prompt: it.revised_prompt } : {};
      result = typeof it.result === "string"
        ? `[image: ${it.result.length} characters of base64]`
        : undefined;
      break;
    case "mcp_call":
      input = it.arguments;
      result = it.error ?? it.output ?? undefined;
      break;
    default:
      input = it.arguments ?? {};
  }
  const name = type === "mcp_call"
    ? [str(it.server_label), str(it.name)].filter(Boolean).join(".") || "mcp"
    : SERVER_CALLS[type] ?? TOOL_SEARCH;
  return {
    id: str(it.id),
    name,
    input: typeof input === "string" ? jsonText(input) : compactJson(input),
    resultType: str(it.status),
    ...(result !== undefined
      ? { result: typeof result === "string" ? result : compactJson(result) }
      : {}),
    isError: failed,
  };
}

/**
 * A tool's answer in the input: `function_call_output`, `shell_call_output` and the like, and
 * a client-run tool search's `tool_search_output` (a server-run one's is the API's output).
 */
const isCallOutput = (item: Obj) =>
  typeof item.type === "string" && item.type.endsWith("_call_output") ||
  item.type === "tool_search_output" && item.execution !== "server";

/**
 * What a tool search gave the model: the names of the tools it loaded, as a JSON array, a tool
 * in a namespace as `NAMESPACE.TOOL` (Codex: `mcp__fs__.read_text_file`, an MCP server's tool;
 * the model calls it by its own name in that namespace); `[]` when it found none (Codex answers
 * a failed search so).
 */
function searchResultText(tools: unknown): string {
  const names = (list: unknown[], ns?: string): string[] =>
    list.filter(isObj).flatMap((t) => {
      const name = String(t.name ?? t.type ?? "?");
      if (t.type === "namespace") return names(arr(t.tools), ns ? `${ns}.${name}` : name);
      return [ns ? `${ns}.${name}` : name];
    });
  return JSON.stringify(names(arr(tools)));
}

/**
 * A tool answer's text: as given, its text parts, or else its JSON (a `shell_call_output`'s
 * stdout/stderr records) with inline data (an image's or file's base64 `data:` URL, a
 * `computer_call_output` screenshot) said by its size, not copied.
 */
function outputText(output: unknown): string {
  const t = textWithMedia(output);
  if (t !== "" || output === undefined || output === null || output === "") return t;
  return JSON.stringify(
    output,
    (_k, v) =>
      typeof v === "string" && v.startsWith("data:") && v.length > 256
        ? `${v.slice(0, v.indexOf(",") + 1)}... (${v.length} characters)`
        : v,
  );
}

/**
 * An input item the model produced (an earlier turn's output), a server-run tool search's
 * output (the API's, within that answer) among them.
 */
const isModelItem = (item: Obj) =>
  MODEL_ITEMS.has(String(item.type)) || item.role === "assistant" ||
  item.type === "tool_search_output" && item.execution === "server";

export function responsesRequest(body: unknown, opts: ReadOptions = {}): RequestInfo {
  const r = emptyRequest();
  if (!isObj(body)) return r;
  const input: Obj[] = typeof body.input === "string"
    ? [{ type: "message", role: "user", content: body.input }]
    : arr(body.input).filter(isObj);
  r.model = str(body.model);
  r.stream = body.stream === true;
  if (body.generate === false) r.warmup = true;
  r.previousResponseId = str(body.previous_response_id);
  r.messages = input.length;
  r.toolsOffered = arr(body.tools).length;
  const system: (string | undefined)[] = [str(body.instructions)];
  let lastModel = -1;
  input.forEach((item, i) => {
    if (isModelItem(item)) lastModel = i;
    if (item.role === "system" || item.role === "developer") system.push(textOf(item.content));
  });
  r.systemPrompt = joinNonEmpty(system);
  const user: string[] = [];
  const results: ToolResultIn[] = [];
  for (const item of input.slice(lastModel + 1)) {
    // text, and a note for each image, file or audio (its bytes said by their size)
    if (item.role === "user") user.push(textWithMedia(item.content));
    if (item.type === "tool_search_output" && isCallOutput(item)) {
      results.push({ callId: str(item.call_id), text: searchResultText(item.tools) });
    } else if (isCallOutput(item)) {
      results.push({ callId: str(item.call_id), text: outputText(item.output) });
    }
  }
  r.userInput = joinNonEmpty(user);
  r.toolResults = results;
  const format = isObj(body.text) && isObj(body.text.format) ? body.text.format : undefined;
  if (format?.type === "json_schema") r.jsonSchema = format.schema;
  r.wantsJson = format?.type === "json_schema" || format?.type === "json_object";
  r.leadText = [str(body.instructions) ?? "", ...input.slice(0, 3).map((i) => textOf(i.content))]
    .join("\n").slice(0, 4000);
  // a call that continues a response: its history is that response's, continued (its chain)
  if (r.previousResponseId === undefined) r.history = responsesHistory(body.instructions, input);
  if (opts.conversation) r.conversation = conversationOf(body, input);
  return r;
}

/**
 * The history hashes of a Responses request whose instructions are `instructions` and whose
 * input items are `items`; with `from`, those of the response they continue (its input's
 * history, to which `items` — its output, then the new input — are added).
 */
export function responsesHistory(
  instructions: unknown,
  items: readonly unknown[],
  from?: History,
): History | undefined {
  return historyOf(instructions, items, (e) => isObj(e) && isModelItem(e), from);
}

/** The tools a request declares: functions, custom tools and the client-executed tool search. */
function declaredTools(tools: Obj[]): OfferedTool[] {
  const out: OfferedTool[] = [];
  for (const t of tools) {
    if (t.type === "function" && typeof t.name === "string") {
      out.push({ name: t.name, kind: "function", parameters: t.parameters });
    } else if (t.type === "custom" && typeof t.name === "string") {
      out.push({ name: t.name, kind: "custom", parameters: t.format });
    } else if (t.type === "tool_search") {
      out.push({ name: "tool_search", kind: "tool_search", parameters: t.parameters });
    }
  }
  return out;
}

/** The function tools in a `tool_search_output` item's tools, namespaces flattened. */
function searchedTools(tools: Obj[], namespace?: string): OfferedTool[] {
  const out: OfferedTool[] = [];
  for (const t of tools) {
    if (t.type === "namespace" && typeof t.name === "string") {
      out.push(...searchedTools(arr(t.tools).filter(isObj), t.name));
    } else if (t.type === "function" && typeof t.name === "string") {
      out.push({
        name: t.name,
        kind: "function",
        parameters: t.parameters,
        ...(namespace !== undefined ? { namespace } : {}),
      });
    }
  }
  return out;
}

function conversationOf(body: Obj, input: Obj[]): Conversation {
  const c: Conversation = {
    tools: declaredTools(arr(body.tools).filter(isObj)),
    modelTurns: 0,
    texts: [str(body.instructions) ?? ""],
  };
  const hosted = arr(body.tools).filter(isObj).flatMap((t) => hostedToolOf("openai-responses", t));
  if (hosted.length > 0) c.hostedTools = hosted;
  // Tools a client-executed tool search loaded (deferred MCP tools) are offered from then on.
  for (const item of input) {
    if (item.type === "tool_search_output" && Array.isArray(item.tools)) {
      c.tools.push(...searchedTools(item.tools.filter(isObj)));
    }
  }
  // One model turn may produce several items (reasoning, message, calls): runs of them count
  // once, and a run that only searched for tools (and reasoned) is no turn.
  let inModelTurn = false;
  let runSearched = false;
  let runOther = false;
  const endRun = () => {
    if (inModelTurn && (runOther || !runSearched)) c.modelTurns++;
    runSearched = runOther = false;
  };
  for (const item of input) {
    if (isModelItem(item)) {
      if (item.type === "tool_search_call") runSearched = true;
      else if (item.type !== "reasoning") runOther = true;
      inModelTurn = true;
    } else {
      endRun();
      inModelTurn = false;
    }
    if (item.content !== undefined) {
      const t = textOf(item.content);
      c.texts.push(t);
      if (item.role === "user") c.lastUserText = t;
    }
  }
  endRun();
  return c;
}

/** the Responses API's `usage` */
const USAGE_FIELDS: UsageFields = {
  input: "input_tokens",
  output: "output_tokens",
  cacheRead: "input_tokens_details.cached_tokens",
  reasoning: "output_tokens_details.reasoning_tokens",
};
const usageOf = (u: unknown) => usageFrom(u, USAGE_FIELDS);

/** Text, thinking and tool calls out of final output items. */
function fromItems(items: Obj[], r: ResponseInfo): void {
  const text: string[] = [];
  const thinking: string[] = [];
  const calls: ToolCallOut[] = [];
  const refusals: string[] = [];
  // server-run tool searches by call_id, for their tool_search_output items
  const searches: [string | undefined, ServerToolOut][] = [];
  r.serverTools = [];
  for (const it of items) {
    if (it.type === "message") {
      const parts = arr(it.content).filter(isObj);
      text.push(
        parts.filter((c) => c.type === "output_text").map((c) => String(c.text ?? "")).join(""),
      );
      refusals.push(
        ...parts.filter((c) => c.type === "refusal").map((c) => String(c.refusal ?? "")),
      );
      for (const c of parts) {
        if (c.type !== "output_text" && c.type !== "refusal") {
          notUnderstood(r, `message content part type ${JSON.stringify(c.type)}`);
        }
      }
    } else if (typeof it.type === "string" && it.type in SERVER_CALLS || serverSearch(it)) {
      const tool = serverTool(it);
      r.serverTools.push(tool);
      if (serverSearch(it)) searches.push([str(it.call_id), tool]);
    } else if (it.type === "tool_search_output" && it.execution === "server") {
      // what a server-run tool search loaded: the result of the search with its call_id; when
      // either side has no id (call_id is optional), of the first one still without a result,
      // as the API gives outputs in the order of their searches
      const id = str(it.call_id);
      const search = (id === undefined ? undefined : searches.find(([c]) => c === id)?.[1]) ??
        searches.find(([c, t]) => t.result === undefined && (c === undefined || id === undefined))
          ?.[1];
      if (search) {
        search.result = searchResultText(it.tools);
        search.resultType = str(it.status) ?? search.resultType;
      } else notUnderstood(r, "a tool_search_output item with no tool_search_call before it");
    } else if (it.type === "tool_search_call") {
      // a search the client runs (Codex's own): a call of one of its tools
      if (it.execution !== "client") {
        notUnderstood(r, `tool_search_call execution ${JSON.stringify(it.execution)}`);
      }
      calls.push({
        id: str(it.call_id) ?? str(it.id),
        name: TOOL_SEARCH,
        kind: "tool_search",
        input: typeof it.arguments === "string"
          ? jsonText(it.arguments)
          : compactJson(it.arguments ?? {}),
      });
    } else if (QUIET_ITEMS.has(String(it.type))) {
      // the remote MCP servers' tool lists, an approval the API asks the client for: neither
      // is a call of the agent's tools nor text
    } else if (it.type === "reasoning") {
      const parts = [...arr(it.summary), ...arr(it.content)].filter(isObj);
      thinking.push(parts.map((p) => String(p.text ?? "")).join("\n"));
    } else if (it.type === "function_call") {
      calls.push({
        id: str(it.call_id),
        name: String(it.name ?? ""),
        kind: "function",
        input: jsonText(String(it.arguments ?? "")),
      });
    } else if (it.type === "custom_tool_call") {
      calls.push({
        id: str(it.call_id),
        name: String(it.name ?? ""),
        kind: "custom",
        input: JSON.stringify(String(it.input ?? "")),
      });
    } else if (typeof it.type === "string" && it.type in BUILT_IN_CALLS) {
      const given = it.action ?? it.operation;
      calls.push({
        id: str(it.call_id) ?? str(it.id),
        name: str(it.name) ?? BUILT_IN_CALLS[it.type],
        kind: "function",
        input: given !== undefined ? JSON.stringify(given) : jsonText(String(it.arguments ?? "")),
      });
    } else {
      notUnderstood(r, `output item type ${JSON.stringify(it.type)}`);
    }
  }
  if (refusals.length > 0) r.refusal = refusals.join("\n");
  r.text = text.filter((t) => t !== "").join("\n");
  r.thinking = thinking.filter((t) => t !== "").join("\n");
  r.toolCalls = calls;
  r.outputItems = items;
}

function fromResponse(resp: Obj, r: ResponseInfo): void {
  r.model = str(resp.model) ?? r.model;
  r.responseId = str(resp.id) ?? r.responseId;
  const status = str(resp.status);
  const reason = isObj(resp.incomplete_details) ? str(resp.incomplete_details.reason) : undefined;
  r.stopReason = reason ? `${status}:${reason}` : status;
  if (reason === "content_filter") r.refusal ??= "content_filter";
  r.usage = usageOf(resp.usage) ?? r.usage;
  if (isObj(resp.error)) {
    r.error = str(resp.error.message) ?? JSON.stringify(resp.error);
    r.errorType = str(resp.error.code) ?? str(resp.error.type) ?? r.errorType;
  }
}

export function responsesJson(body: unknown): ResponseInfo {
  return wholeResponse(body, (body, r) => {
    fromResponse(body, r);
    fromItems(arr(body.output).filter(isObj), r);
    r.complete = true;
  });
}

export function responsesStream(): StreamReader {
  const r = emptyResponse();
  // items by output_index: as added, updated by deltas, replaced when done
  const items: Obj[] = [];
  const itemAt = (data: Obj): Obj | undefined => items[num(data.output_index) ?? -1];
  return {
    push(type, data) {
      if (!isObj(data)) return false;
      const t = str(data.type) ?? type;
      switch (t) {
        case "response.created":
        case "response.in_progress":
          if (isObj(data.response)) fromResponse(data.response, r);
          return false;
        case "response.output_item.added": {
          const it = isObj(data.item) ? { ...data.item } : {};
          if (it.type === "message") it.content = [];
          if (it.type === "reasoning") it.summary = [];
          items[num(data.output_index) ?? items.length] = it;
          return it.type === "function_call" || it.type === "custom_tool_call" ||
            it.type === "tool_search_call" || String(it.type) in BUILT_IN_CALLS ||
            String(it.type) in SERVER_CALLS;
        }
        case "response.output_text.delta":
        case "response.refusal.delta": {
          // each content part at its index: text, or the model's refusal
          const it = itemAt(data);
          if (!it) return true;
          const parts = (Array.isArray(it.content) ? it.content : it.content = []) as Obj[];
          const k = num(data.content_index) ?? 0;
          const field = t === "response.refusal.delta" ? "refusal" : "text";
          const c = parts[k] ??= { type: field === "text" ? "output_text" : "refusal" };
          c[field] = String(c[field] ?? "") + String(data.delta ?? "");
          return true;
        }
        case "response.reasoning_summary_text.delta":
        case "response.reasoning_text.delta": {
          const it = itemAt(data);
          if (it) {
            const s = arr(it.summary) as Obj[];
            const k = num(data.summary_index) ?? 0;
            s[k] = { text: String(s[k]?.text ?? "") + String(data.delta ?? "") };
            it.summary = s;
          }
          return true;
        }
        case "response.function_call_arguments.delta": {
          const it = itemAt(data);
          if (it) it.arguments = String(it.arguments ?? "") + String(data.delta ?? "");
          return true;
        }
        case "response.custom_tool_call_input.delta": {
          const it = itemAt(data);
          if (it) it.input = String(it.input ?? "") + String(data.delta ?? "");
          return true;
        }
        case "response.output_item.done":
          if (isObj(data.item)) items[num(data.output_index) ?? items.length] = data.item;
          return false;
        case "response.completed":
        case "response.incomplete":
        case "response.failed":
          if (isObj(data.response)) {
            fromResponse(data.response, r);
            const out = arr(data.response.output).filter(isObj);
            if (out.length > 0) items.splice(0, items.length, ...out);
          }
          r.complete = true;
          return false;
        case "error":
          // the stream's error event ends it ({type, code, message, param} as documented; over
          // a WebSocket also {status, error: {type, code, message}})
          r.error = str(data.message) ?? apiError(data) ?? "error event";
          r.errorType = str(data.code) ?? apiErrorType(data);
          r.complete = true;
          return false;
        default:
          if (!QUIET_EVENT.test(t)) notUnderstood(r, `stream event ${JSON.stringify(t)}`);
          return false;
      }
    },
    result() {
      for (const it of items) {
        // a message whose parts came as deltas only: holes are parts never started
        if (it && Array.isArray(it.content)) it.content = it.content.filter(Boolean);
      }
      fromItems(items.filter(Boolean), r);
      return r;
    },
  };
}
