/**
 * Scenario files: the script the model server plays. A scenario is JSON with a list of turns,
 * each a text answer, a JSON answer or an abstract tool call (run a command, read a file, write
 * a file, or call a named tool), plus defaults for model and token usage, files to put in the
 * agent's working directory and extra loopback "web page" servers. The schema is documented in
 * `lab/scenarios/README.md`; {@linkcode parseScenario} checks it and throws a
 * {@linkcode ScenarioError} whose message is one line naming the file and the field.
 */
import { readJsonFile } from "./json_file.ts";

/** Token usage as written in a scenario; every field is optional and defaults apply. */
export interface UsageSpec {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
}

/** A test on the text of the tool result the agent sent back. */
export interface Condition {
  /** The result contains this text. */
  contains?: string;
  /** The result does not contain this text. */
  notContains?: string;
  /** The result matches this regular expression (JavaScript syntax, no flags). */
  matches?: string;
}

/** An abstract tool call, mapped onto a tool the agent offered. */
export type ToolAction =
  | { run: string; description?: string }
  | { read: string }
  | { write: string; content: string }
  | { name: string; args?: Record<string, unknown>; input?: string }
  | { mcp: string; tool: string; args?: Record<string, unknown> };

/**
 * An MCP server the agent is configured with: one of the lab's servers by name (`filesystem`
 * and `everything` pinned from npm, `poisoned` the lab's own), or a command. `args` may use
 * `{{workdir}}` and `{{lab}}` (the lab directory of this checkout: `{{lab}}/mcp_servers/...`). `transport` (`everything` or a command): `stdio` (the default: the agent starts it),
 * or `http` (streamable HTTP) or `sse` (HTTP+SSE): the runner starts it on a free loopback port,
 * beside the agent, and configures the agent with its URL and `headers`; the scenario's
 * templates know the port as `{{mcp_port_NAME}}` and the URL the agent is given as
 * `{{mcp_url_NAME}}`. `remote`: the runner serves it over HTTPS from outside the capture
 * instead, as a server on another host would be.
 */
export type McpServerSpec =
  | {
    server: "filesystem" | "everything" | "poisoned";
    args?: string[];
    env?: Record<string, string>;
    transport?: McpTransport;
    headers?: Record<string, string>;
    /**
     * `http`, `sse`: served as a remote server is: over HTTPS (the model server's CA), started
     * by the runner outside whatever wraps the agent (not traced, like a server on another host).
     */
    remote?: boolean;
    /**
     * `remote` only: its TLS front offers `h2` and `http/1.1` by ALPN, as Cloudflare and modern
     * proxies do (a client whose HTTP stack negotiates h2 then speaks HTTP/2 to it); else
     * `http/1.1` only.
     */
    h2?: boolean;
  }
  | {
    command: string;
    args?: string[];
    env?: Record<string, string>;
    /**
     * `http`, `sse`: the command serves MCP over HTTP on the port given in its `PORT`
     * environment variable, at `/mcp` (streamable HTTP) or `/sse` (HTTP+SSE), as the
     * `everything` server and most published HTTP servers do; started by the runner as above.
     */
    transport?: McpTransport;
    headers?: Record<string, string>;
    remote?: boolean;
    h2?: boolean;
  };

/** How an agent reaches an MCP server. */
export type McpTransport = "stdio" | "http" | "sse";

/** The lab's MCP servers by name. */
export const MCP_SERVER_NAMES = ["filesystem", "everything", "poisoned"] as const;

/** One scripted model turn. */
export interface Turn {
  /** Thinking (reasoning) shown before the answer. */
  thinking?: string;
  /**
   * A web search the provider runs before the answer, with its hosted search tool (the
   * request must offer it: Codex's `web_search`, Anthropic's `web_search_*`, Gemini's
   * `googleSearch`).
   */
  search?: { query: string; results: { url: string; title: string }[] };
  /** Text answer; with `tool`, text said before the call. */
  text?: string;
  /** The model declines, saying this (not with text, json or tool). */
  refusal?: string;
  /** How the answer ends, when not as usual: `max_tokens`, cut short by the output limit. */
  stop?: "max_tokens";
  /** A JSON answer, sent as the text of the reply (for JSON-mode clients such as an observer). */
  json?: unknown;
  tool?: ToolAction;
  /**
   * Several tool calls asked for in one answer (parallel tool calls), in this order; not with
   * `tool`. Agents that can run them at once do (Claude Code: read-only tools; Gemini CLI).
   */
  tools?: ToolAction[];
  /** Model name for this turn (overrides the scenario's). */
  model?: string;
  usage?: UsageSpec;
  /** Serve this turn again while/until the tool result the agent sends back meets a condition. */
  repeat?: { while?: Condition; until?: Condition; max: number };
  /** Serve this turn only if the latest tool result meets the condition; else skip it. */
  when?: Condition;
  /**
   * Answer the first `times` requests for this turn with an API error instead (a rate limit,
   * an overload), so the agent's retries are exercised; the turn is served after them.
   */
  fail?: TurnFailure;
}

/** How a scripted failure that begins after a 200 ends the answer (see {@linkcode TurnFailure.cut}). */
export type StreamCut = "error" | "end" | "close" | "stall";

export const STREAM_CUTS: readonly StreamCut[] = ["error", "end", "close", "stall"];

/**
 * An API error served in place of a turn (see {@linkcode Turn.fail}): the whole answer an error
 * (`status`), or, with `after`, a 200 whose answer breaks off after that many of its events.
 */
export interface TurnFailure {
  /**
   * HTTP status, 400 to 599 (429 rate limited, 500, 503, Anthropic's 529 overloaded); with
   * `cut: "error"` the status whose error type the stream's error event names.
   */
  status?: number;
  /** How many requests in a row get it (default 1). */
  times: number;
  /** The error's message (default: the status's usual one). */
  message?: string;
  /** Seconds sent in a `retry-after` header (a whole-answer error only). */
  retryAfter?: number;
  /**
   * The answer starts (200, streamed) and breaks off after this many of its events (SSE
   * events, chunks, WebSocket messages, event-stream messages; 0: right after the head).
   */
  after?: number;
  /**
   * How it breaks off (with `after`; default "error"): "error" the provider's own error in the
   * stream (Anthropic `event: error`, an OpenAI error chunk or `response.failed`, a Gemini
   * error object, a Bedrock exception message); "end" the body ends without the answer's final
   * event; "close" the connection drops mid-body (HTTP/1.1: no last chunk; HTTP/2: RST_STREAM;
   * WebSocket: no close frame); "stall" nothing more is sent for `seconds`, then it drops.
   */
  cut?: StreamCut;
  /** With `cut: "stall"`: how long the stream stays silent before it drops (1 to 3600). */
  seconds?: number;
}

/** A route of a web page server. */
export interface PageRoute {
  path: string;
  method?: string;
  status?: number;
  contentType?: string;
  body?: string;
  headers?: Record<string, string>;
}

/** An extra loopback HTTP(S) server a scenario needs (a docs page, an "attacker" endpoint). */
export interface PageSpec {
  /** Name used in templates: `{{pages.NAME.url}}`. */
  name: string;
  /** Loopback address to listen on (127.0.0.2, ...). */
  address: string;
  /** Host name mapped to the address in the run's hosts file. */
  host?: string;
  /** 0 or absent: any free port. */
  port?: number;
  tls?: boolean;
  routes: PageRoute[];
}

/** How the script advances. */
export type Sequencing = "conversation" | "per-request";

/** A parsed and checked scenario. */
export interface Scenario {
  name: string;
  description?: string;
  /** The prompt the runner gives the agent unless told otherwise. */
  prompt?: string;
  /** Model name to report, one for all providers or one per provider. */
  model?: string | Partial<Record<"anthropic" | "openai" | "gemini", string>>;
  /**
   * "conversation" (default): the turn served is chosen by how many model turns the request's
   * history already holds, so retries and side requests do not advance the script.
   * "per-request": every main request takes the next turn (for one-shot clients).
   */
  sequencing: Sequencing;
  usage?: UsageSpec;
  /**
   * Files (relative path -> content) the runner writes into the working directory: text, or
   * bytes (given in the scenario as `{"base64": "..."}`: an image for the agent to read).
   */
  files?: Record<string, string | Uint8Array>;
  pages?: PageSpec[];
  /** MCP servers the agent is configured with, by the name the agent knows each by. */
  mcpServers?: Record<string, McpServerSpec>;
  turns: Turn[];
  /** Where it was read from, for messages. */
  source: string;
}

/** A scenario that does not follow the schema; the message is one line. */
export class ScenarioError extends Error {
  constructor(source: string, field: string, problem: string) {
    super(`${source}: ${field}: ${problem}`);
    this.name = "ScenarioError";
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The name of the whole document in messages. */
const ROOT = "scenario";

class Checker {
  constructor(readonly source: string) {}

  fail(field: string, problem: string): never {
    throw new ScenarioError(this.source, field, problem);
  }

  obj(v: unknown, field: string, allowed: string[]): Obj {
    if (!isObj(v)) this.fail(field, `expected an object, got ${describe(v)}`);
    for (const k of Object.keys(v)) {
      if (!allowed.includes(k)) {
        const path = field === ROOT ? k : `${field}.${k}`;
        this.fail(path, `unknown field (allowed: ${allowed.join(", ")})`);
      }
    }
    return v;
  }

  str(v: unknown, field: string, opts: { nonEmpty?: boolean } = {}): string {
    if (typeof v !== "string") {
      this.fail(field, `expected a string, got ${describe(v)}`);
    }
    if (opts.nonEmpty && v.length === 0) this.fail(field, "must not be empty");
    return v;
  }

  int(
    v: unknown,
    field: string,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ): number {
    if (typeof v !== "number" || !Number.isInteger(v)) {
      this.fail(field, `expected a whole number, got ${describe(v)}`);
    }
    if (v < min || v > max) {
      this.fail(field, `must be between ${min} and ${max}, got ${v}`);
    }
    return v;
  }
}

/** What a field held, said once: `nothing` when it is missing, else its kind and value. */
function describe(v: unknown): string {
  if (v === undefined) return "nothing (the field is missing)";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") {
    return `the string ${JSON.stringify(v.slice(0, 40))}`;
  }
  return typeof v === "object" ? "an object" : `${typeof v} ${String(v)}`;
}

function checkUsage(
  c: Checker,
  v: unknown,
  field: string,
): UsageSpec | undefined {
  if (v === undefined) return undefined;
  const o = c.obj(v, field, [
    "input",
    "output",
    "cacheRead",
    "cacheWrite",
    "reasoning",
  ]);
  const out: UsageSpec = {};
  for (
    const k of [
      "input",
      "output",
      "cacheRead",
      "cacheWrite",
      "reasoning",
    ] as const
  ) {
    if (o[k] !== undefined) out[k] = c.int(o[k], `${field}.${k}`, 0);
  }
  return out;
}

function checkCondition(c: Checker, v: unknown, field: string): Condition {
  const o = c.obj(v, field, ["contains", "notContains", "matches"]);
  const out: Condition = {};
  if (o.contains !== undefined) {
    out.contains = c.str(o.contains, `${field}.contains`);
  }
  if (o.notContains !== undefined) {
    out.notContains = c.str(o.notContains, `${field}.notContains`);
  }
  if (o.matches !== undefined) {
    const source = c.str(o.matches, `${field}.matches`);
    out.matches = source;
    try {
      new RegExp(source);
    } catch (e) {
      c.fail(
        `${field}.matches`,
        `invalid regular expression: ${(e as Error).message}`,
      );
    }
  }
  if (Object.keys(out).length === 0) {
    c.fail(field, "needs contains, notContains or matches");
  }
  return out;
}

function checkTool(c: Checker, v: unknown, field: string): ToolAction {
  if (!isObj(v)) c.fail(field, `expected an object, got ${describe(v)}`);
  if ("run" in v) {
    const o = c.obj(v, field, ["run", "description"]);
    return {
      run: c.str(o.run, `${field}.run`, { nonEmpty: true }),
      ...(o.description !== undefined
        ? { description: c.str(o.description, `${field}.description`) }
        : {}),
    };
  }
  if ("read" in v) {
    const o = c.obj(v, field, ["read"]);
    return { read: c.str(o.read, `${field}.read`, { nonEmpty: true }) };
  }
  if ("write" in v) {
    const o = c.obj(v, field, ["write", "content"]);
    return {
      write: c.str(o.write, `${field}.write`, { nonEmpty: true }),
      content: c.str(o.content, `${field}.content`),
    };
  }
  if ("name" in v) {
    const o = c.obj(v, field, ["name", "args", "input"]);
    const name = c.str(o.name, `${field}.name`, { nonEmpty: true });
    if (o.args !== undefined && !isObj(o.args)) {
      c.fail(`${field}.args`, `expected an object, got ${describe(o.args)}`);
    }
    if (o.args !== undefined && o.input !== undefined) {
      c.fail(
        field,
        "give args (JSON tools) or input (free-form tools), not both",
      );
    }
    return {
      name,
      ...(o.args !== undefined ? { args: o.args as Obj } : {}),
      ...(o.input !== undefined ? { input: c.str(o.input, `${field}.input`) } : {}),
    };
  }
  if ("mcp" in v) {
    const o = c.obj(v, field, ["mcp", "tool", "args"]);
    const server = c.str(o.mcp, `${field}.mcp`, { nonEmpty: true });
    const tool = c.str(o.tool, `${field}.tool`, { nonEmpty: true });
    if (o.args !== undefined && !isObj(o.args)) {
      c.fail(`${field}.args`, `expected an object, got ${describe(o.args)}`);
    }
    return { mcp: server, tool, ...(o.args !== undefined ? { args: o.args as Obj } : {}) };
  }
  return c.fail(field, "expected one of run, read, write, name or mcp");
}

function checkTurn(c: Checker, v: unknown, field: string): Turn {
  const o = c.obj(v, field, [
    "thinking",
    "search",
    "refusal",
    "stop",
    "text",
    "json",
    "tool",
    "tools",
    "model",
    "usage",
    "repeat",
    "when",
    "fail",
    "comment",
  ]);
  const t: Turn = {};
  if (o.thinking !== undefined) {
    t.thinking = c.str(o.thinking, `${field}.thinking`);
  }
  if (o.text !== undefined) t.text = c.str(o.text, `${field}.text`);
  if (o.search !== undefined) {
    const q = c.obj(o.search, `${field}.search`, ["query", "results"]);
    if (!Array.isArray(q.results)) {
      c.fail(`${field}.search.results`, `expected an array, got ${describe(q.results)}`);
    }
    t.search = {
      query: c.str(q.query, `${field}.search.query`, { nonEmpty: true }),
      results: (q.results as unknown[]).map((x, i) => {
        const r = c.obj(x, `${field}.search.results[${i}]`, ["url", "title"]);
        return {
          url: c.str(r.url, `${field}.search.results[${i}].url`, { nonEmpty: true }),
          title: c.str(r.title, `${field}.search.results[${i}].title`),
        };
      }),
    };
  }
  if (o.stop !== undefined) {
    if (o.stop !== "max_tokens") {
      c.fail(`${field}.stop`, `expected "max_tokens", got ${describe(o.stop)}`);
    }
    t.stop = o.stop;
  }
  if (o.refusal !== undefined) {
    t.refusal = c.str(o.refusal, `${field}.refusal`, { nonEmpty: true });
  }
  if (o.json !== undefined) t.json = o.json;
  if (o.tool !== undefined) t.tool = checkTool(c, o.tool, `${field}.tool`);
  if (o.tools !== undefined) {
    if (!Array.isArray(o.tools) || o.tools.length < 2) {
      c.fail(`${field}.tools`, "expected a list of at least two tool actions (one: use tool)");
    }
    if (t.tool !== undefined) c.fail(field, "give tool or tools, not both");
    t.tools = (o.tools as unknown[]).map((x, i) => checkTool(c, x, `${field}.tools[${i}]`));
  }
  if (o.model !== undefined) {
    t.model = c.str(o.model, `${field}.model`, { nonEmpty: true });
  }
  if (o.usage !== undefined) t.usage = checkUsage(c, o.usage, `${field}.usage`);
  const hasTool = t.tool !== undefined || t.tools !== undefined;
  if (t.json !== undefined && (t.text !== undefined || hasTool)) {
    c.fail(field, "json cannot be combined with text or tool");
  }
  if (t.refusal !== undefined && (t.text !== undefined || t.json !== undefined || hasTool)) {
    c.fail(field, "refusal cannot be combined with text, json or tool");
  }
  if (t.text === undefined && t.json === undefined && !hasTool && t.refusal === undefined) {
    c.fail(field, "needs text, json, tool or refusal");
  }
  if (o.repeat !== undefined) {
    const r = c.obj(o.repeat, `${field}.repeat`, ["while", "until", "max"]);
    if ((r.while === undefined) === (r.until === undefined)) {
      c.fail(`${field}.repeat`, "needs exactly one of while or until");
    }
    if (t.tool === undefined) {
      c.fail(`${field}.repeat`, "only a turn with one tool can repeat");
    }
    t.repeat = {
      max: c.int(r.max, `${field}.repeat.max`, 1, 1000),
      ...(r.while !== undefined
        ? { while: checkCondition(c, r.while, `${field}.repeat.while`) }
        : {}),
      ...(r.until !== undefined
        ? { until: checkCondition(c, r.until, `${field}.repeat.until`) }
        : {}),
    };
  }
  if (o.when !== undefined) t.when = checkCondition(c, o.when, `${field}.when`);
  if (o.fail !== undefined) t.fail = checkFailure(c, o.fail, `${field}.fail`);
  return t;
}

/** A turn's `fail`: a whole-answer error, or a stream that breaks off (`after`, `cut`). */
function checkFailure(c: Checker, v: unknown, field: string): TurnFailure {
  const f = c.obj(v, field, [
    "status",
    "times",
    "message",
    "retryAfter",
    "after",
    "cut",
    "seconds",
  ]);
  const out: TurnFailure = {
    times: f.times === undefined ? 1 : c.int(f.times, `${field}.times`, 1, 100),
  };
  if (f.after !== undefined) out.after = c.int(f.after, `${field}.after`, 0, 100000);
  if (f.cut !== undefined) {
    if (!STREAM_CUTS.includes(f.cut as StreamCut)) {
      c.fail(`${field}.cut`, `expected one of ${STREAM_CUTS.join(", ")}, got ${describe(f.cut)}`);
    }
    if (out.after === undefined) {
      c.fail(`${field}.cut`, "needs after (how many events of the answer come first)");
    }
    out.cut = f.cut as StreamCut;
  }
  const cut = out.after === undefined ? undefined : out.cut ?? "error";
  const errs = cut === undefined || cut === "error";
  if (f.status !== undefined) {
    if (!errs) c.fail(`${field}.status`, `a stream cut "${cut}" carries no error, so no status`);
    out.status = c.int(f.status, `${field}.status`, 400, 599);
  } else if (errs) {
    c.fail(
      `${field}.status`,
      cut === "error"
        ? "needed: the status whose error type the stream's error names"
        : "needed (or give after, for a stream that breaks off)",
    );
  }
  if (f.message !== undefined) {
    if (!errs) c.fail(`${field}.message`, `a stream cut "${cut}" carries no error message`);
    out.message = c.str(f.message, `${field}.message`, { nonEmpty: true });
  }
  if (f.retryAfter !== undefined) {
    if (cut !== undefined) {
      c.fail(`${field}.retryAfter`, "a stream that began (200) has sent its headers already");
    }
    out.retryAfter = c.int(f.retryAfter, `${field}.retryAfter`, 0, 3600);
  }
  if (f.seconds !== undefined) {
    if (cut !== "stall") c.fail(`${field}.seconds`, 'only with cut "stall"');
    out.seconds = c.int(f.seconds, `${field}.seconds`, 1, 3600);
  } else if (cut === "stall") {
    c.fail(`${field}.seconds`, 'needed with cut "stall": how long the stream stays silent');
  }
  return out;
}

const MCP_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;

function checkMcpServer(c: Checker, v: unknown, field: string): McpServerSpec {
  if (!isObj(v)) c.fail(field, `expected an object, got ${describe(v)}`);
  const o = c.obj(v, field, [
    "server",
    "command",
    "args",
    "env",
    "transport",
    "headers",
    "remote",
    "h2",
  ]);
  if ((o.server === undefined) === (o.command === undefined)) {
    c.fail(field, "needs exactly one of server or command");
  }
  let args: string[] | undefined;
  if (o.args !== undefined) {
    if (!Array.isArray(o.args)) {
      c.fail(`${field}.args`, `expected an array, got ${describe(o.args)}`);
    }
    args = o.args.map((a, i) => c.str(a, `${field}.args[${i}]`));
  }
  let env: Record<string, string> | undefined;
  if (o.env !== undefined) {
    const e = c.obj(o.env, `${field}.env`, Object.keys(o.env as Obj));
    env = Object.fromEntries(Object.entries(e).map(([k, x]) => [k, c.str(x, `${field}.env.${k}`)]));
  }
  const rest = { ...(args ? { args } : {}), ...(env ? { env } : {}) };
  if (
    (o.transport !== undefined || o.headers !== undefined) && o.server !== undefined &&
    o.server !== "everything"
  ) {
    c.fail(field, "transport and headers are for the everything server or a command only");
  }
  const http: {
    transport?: McpTransport;
    headers?: Record<string, string>;
    remote?: boolean;
    h2?: boolean;
  } = {};
  if (o.transport !== undefined) {
    const t = c.str(o.transport, `${field}.transport`);
    if (!["stdio", "http", "sse"].includes(t)) {
      c.fail(`${field}.transport`, `expected one of stdio, http, sse, got ${describe(t)}`);
    }
    http.transport = t as McpTransport;
  }
  if (o.remote !== undefined) {
    if (typeof o.remote !== "boolean") {
      c.fail(`${field}.remote`, `expected true or false, got ${describe(o.remote)}`);
    }
    if (o.remote && (http.transport ?? "stdio") === "stdio") {
      c.fail(`${field}.remote`, "a remote server needs transport http or sse");
    }
    http.remote = o.remote as boolean;
  }
  if (o.h2 !== undefined) {
    if (typeof o.h2 !== "boolean") {
      c.fail(`${field}.h2`, `expected true or false, got ${describe(o.h2)}`);
    }
    if (o.h2 && !http.remote) c.fail(`${field}.h2`, "h2 is for a remote server's TLS front");
    http.h2 = o.h2 as boolean;
  }
  if (o.headers !== undefined) {
    const h = c.obj(o.headers, `${field}.headers`, Object.keys(o.headers as Obj));
    http.headers = Object.fromEntries(
      Object.entries(h).map(([k, x]) => [k, c.str(x, `${field}.headers.${k}`)]),
    );
  }
  if (o.command !== undefined) {
    return { command: c.str(o.command, `${field}.command`, { nonEmpty: true }), ...rest, ...http };
  }
  const server = c.str(o.server, `${field}.server`);
  if (!(MCP_SERVER_NAMES as readonly string[]).includes(server)) {
    c.fail(
      `${field}.server`,
      `expected one of ${MCP_SERVER_NAMES.join(", ")}, got ${describe(server)}`,
    );
  }
  return { server: server as (typeof MCP_SERVER_NAMES)[number], ...rest, ...http };
}

const LOOPBACK_V4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function checkPage(c: Checker, v: unknown, field: string): PageSpec {
  const o = c.obj(v, field, [
    "name",
    "address",
    "host",
    "port",
    "tls",
    "routes",
  ]);
  const name = c.str(o.name, `${field}.name`, { nonEmpty: true });
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) {
    c.fail(
      `${field}.name`,
      "use letters, digits, - and _ (starting with a letter)",
    );
  }
  const address = c.str(o.address, `${field}.address`, { nonEmpty: true });
  const m = LOOPBACK_V4.exec(address);
  if (!m || m.slice(1).some((p) => Number(p) > 255)) {
    c.fail(
      `${field}.address`,
      `must be a loopback address 127.x.y.z, got ${JSON.stringify(address)}`,
    );
  }
  const page: PageSpec = { name, address, routes: [] };
  if (o.host !== undefined) {
    const host = c.str(o.host, `${field}.host`, { nonEmpty: true });
    if (
      !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(
        host,
      )
    ) {
      c.fail(
        `${field}.host`,
        `not a lower-case dotted host name: ${JSON.stringify(host)}`,
      );
    }
    page.host = host;
  }
  if (o.port !== undefined) {
    page.port = c.int(o.port, `${field}.port`, 0, 65535);
  }
  if (o.tls !== undefined) {
    if (typeof o.tls !== "boolean") {
      c.fail(`${field}.tls`, `expected true or false`);
    }
    page.tls = o.tls;
  }
  if (!Array.isArray(o.routes) || o.routes.length === 0) {
    c.fail(`${field}.routes`, "expected a non-empty array");
  }
  page.routes = o.routes.map((r, i) => {
    const f = `${field}.routes[${i}]`;
    const ro = c.obj(r, f, [
      "path",
      "method",
      "status",
      "contentType",
      "body",
      "headers",
    ]);
    const path = c.str(ro.path, `${f}.path`, { nonEmpty: true });
    if (!path.startsWith("/")) c.fail(`${f}.path`, "must start with /");
    const route: PageRoute = { path };
    if (ro.method !== undefined) {
      route.method = c.str(ro.method, `${f}.method`).toUpperCase();
    }
    if (ro.status !== undefined) {
      route.status = c.int(ro.status, `${f}.status`, 100, 599);
    }
    if (ro.contentType !== undefined) {
      route.contentType = c.str(ro.contentType, `${f}.contentType`);
    }
    if (ro.body !== undefined) route.body = c.str(ro.body, `${f}.body`);
    if (ro.headers !== undefined) {
      const h = c.obj(
        ro.headers,
        `${f}.headers`,
        Object.keys(ro.headers as Obj),
      );
      route.headers = Object.fromEntries(
        Object.entries(h).map(([k, hv]) => [k, c.str(hv, `${f}.headers.${k}`)]),
      );
    }
    return route;
  });
  return page;
}

/**
 * Checks a parsed JSON value against the scenario schema.
 * @param source names the file in error messages.
 */
export function parseScenario(value: unknown, source = "<scenario>"): Scenario {
  const c: Checker = new Checker(source);
  const o = c.obj(value, ROOT, [
    "$schema",
    "name",
    "description",
    "prompt",
    "model",
    "sequencing",
    "usage",
    "files",
    "pages",
    "mcpServers",
    "turns",
  ]);
  const name = c.str(o.name, "name", { nonEmpty: true });
  const s: Scenario = { name, sequencing: "conversation", turns: [], source };
  if (o.description !== undefined) {
    s.description = c.str(o.description, "description");
  }
  if (o.prompt !== undefined) {
    s.prompt = c.str(o.prompt, "prompt", { nonEmpty: true });
  }
  if (o.model !== undefined) {
    if (typeof o.model === "string") {
      s.model = c.str(o.model, "model", { nonEmpty: true });
    } else {
      const m = c.obj(o.model, "model", ["anthropic", "openai", "gemini"]);
      s.model = {};
      for (const k of ["anthropic", "openai", "gemini"] as const) {
        if (m[k] !== undefined) {
          s.model[k] = c.str(m[k], `model.${k}`, { nonEmpty: true });
        }
      }
    }
  }
  if (o.sequencing !== undefined) {
    if (o.sequencing !== "conversation" && o.sequencing !== "per-request") {
      c.fail(
        "sequencing",
        `expected "conversation" or "per-request", got ${describe(o.sequencing)}`,
      );
    }
    s.sequencing = o.sequencing;
  }
  if (o.usage !== undefined) s.usage = checkUsage(c, o.usage, "usage");
  if (o.files !== undefined) {
    const f = c.obj(o.files, "files", Object.keys(o.files as Obj));
    s.files = {};
    for (const [path, content] of Object.entries(f)) {
      if (
        path.startsWith("/") || path.split("/").includes("..") || path === ""
      ) {
        c.fail(
          `files.${path}`,
          "must be a relative path inside the working directory",
        );
      }
      if (isObj(content)) {
        const b = c.obj(content, `files.${path}`, ["base64"]);
        const text = c.str(b.base64, `files.${path}.base64`, { nonEmpty: true });
        try {
          s.files[path] = Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
        } catch {
          c.fail(`files.${path}.base64`, "not base64");
        }
      } else {
        s.files[path] = c.str(content, `files.${path}`);
      }
    }
  }
  if (o.pages !== undefined) {
    if (!Array.isArray(o.pages)) {
      c.fail("pages", `expected an array, got ${describe(o.pages)}`);
    }
    s.pages = o.pages.map((p, i) => checkPage(c, p, `pages[${i}]`));
    const names = new Set<string>();
    for (const [i, p] of s.pages.entries()) {
      if (names.has(p.name)) {
        c.fail(`pages[${i}].name`, `duplicate page name ${p.name}`);
      }
      names.add(p.name);
    }
  }
  if (o.mcpServers !== undefined) {
    const m = c.obj(o.mcpServers, "mcpServers", Object.keys(o.mcpServers as Obj));
    s.mcpServers = {};
    for (const [name, spec] of Object.entries(m)) {
      // Claude Code and Codex join server and tool names with "__", the Gemini CLI with "_".
      if (!MCP_NAME.test(name)) {
        c.fail(`mcpServers.${name}`, "use letters, digits and - (starting with a letter)");
      }
      s.mcpServers[name] = checkMcpServer(c, spec, `mcpServers.${name}`);
    }
  }
  if (!Array.isArray(o.turns) || o.turns.length === 0) {
    c.fail("turns", `expected a non-empty array, got ${describe(o.turns)}`);
  }
  s.turns = o.turns.map((t, i) => checkTurn(c, t, `turns[${i}]`));
  return s;
}

/** Reads and checks a scenario file. Errors name the file. */
export async function loadScenario(path: string): Promise<Scenario> {
  const value = await readJsonFile(
    path,
    (field, problem) => new ScenarioError(path, field, problem),
  );
  return parseScenario(value, path);
}

/** A scenario given parsed or as a file path (then read and checked), or none. */
export async function scenarioOf(s: Scenario | string | undefined): Promise<Scenario | undefined> {
  return typeof s === "string" ? await loadScenario(s) : s;
}
