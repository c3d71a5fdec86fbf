/**
 * The MCP tables of an analysed recording, declared once with the column kit: `mcp_messages`
 * (every JSON-RPC message read from the `ipc` byte streams), `mcp_calls` (each request with its
 * response, the server and the session), `mcp_tools` (what each server's `tools/list` showed the
 * model), `mcp_tool_links` (the LLM tool call that caused each `tools/call`) and `mcp_servers`
 * (each server, and whether the agent's configuration started it). Their SQL is in
 * `sql/<table>.sql`; `mcp_messages` is filled by the JSON-RPC parser (`build.ts`).
 */
import { col, opt, type RowOf, table } from "../../kit/columns.ts";
import { recordingCol } from "../schema.ts";

const TRANSPORT = col(
  "transport",
  "utf8",
  "`stdio` (pipes, unix sockets), `http` (streamable HTTP: on loopback, over TLS, or in " +
    "cleartext to another address) or `sse` " +
    "(the older HTTP+SSE transport: its server sent an `endpoint` event)",
);
const SERVER_PORT = opt(
  "server_port",
  "int32",
  "`http`, `sse`: the server's TCP port (over TLS: the one the client's Host names, else 443)",
);
const SERVER_HOST = opt(
  "server_host",
  "utf8",
  "a server reached over TLS (a remote one: its process is not traced): the host the client " +
    "named (Host or :authority, without the port; lower case, an IPv6 address without its " +
    "brackets, a name without a trailing dot; a Host that names no host is kept as sent, and " +
    "said in `problems`); in cleartext to another address: that IP " +
    "address; null on loopback plain text and stdio",
);

export const mcpMessagesTable = table(
  "mcp_messages",
  "Every JSON-RPC 2.0 message in the `ipc` byte streams — MCP over stdio pipes and sockets, " +
    "and over cleartext HTTP (request bodies, JSON answers and server-sent events; off " +
    "loopback only with servers the client sent a JSON-RPC request body to) — in stream " +
    "order, then those of the HTTPS exchanges (`http_exchanges`, `sse_events`) of every host " +
    "a traced process sent a JSON-RPC request body to (remote MCP servers). Secrets in every message (string values of keys named like token, " +
    "secret, password, API key, key, authorization, cookie, credential: " +
    "protocols/json_secrets.ts) are masked, in `initialize` and its answer as in every later " +
    "call and answer, whether or not the capture masked them already.",
  [
    recordingCol,
    col("message_id", "int64", "number of the message in the recording"),
    col("ts_ns", "int64", "time of the write (or read) that completed it"),
    opt("from_pid", "int32", "the process that sent it (null: an HTTP server not traced)"),
    opt("to_pid", "int32", "the process at the other end, when known"),
    col(
      "inode",
      "int64",
      "the pipe or socket it travelled on (HTTP: the lower inode of the connection's two ends; " +
        "HTTPS: the TLS connection, `tls.conn_id`)",
    ),
    col(
      "framing",
      "utf8",
      "`newline` or `content-length` (stdio), `http` (a request or response body) or `sse` " +
        "(an event of a `text/event-stream`)",
    ),
    col("kind", "utf8", "`request`, `notification`, `response` or `error`"),
    opt("jsonrpc_id", "utf8", 'the id as JSON text (`1`, `"a"`)'),
    opt("method", "utf8", "requests and notifications: the method"),
    opt("params", "json", "requests and notifications: the params"),
    opt("result", "json", "responses: the result"),
    opt("error_code", "int64", "errors: the code"),
    opt("error_message", "utf8", "errors: the message"),
    col("bytes", "int64", "size of the message's JSON text"),
    col("incomplete", "bool", "the stream ended inside it"),
    TRANSPORT,
    SERVER_PORT,
    SERVER_HOST,
    opt(
      "batch_index",
      "int32",
      "its place in a JSON-RPC batch (an array of messages: MCP 2025-03-26 only); null: sent alone",
    ),
    opt(
      "http_status",
      "int32",
      "over HTTP: the status of the exchange that carried it, the answer to the POST whose " +
        "body it was (a client's message: 4xx when the server refused the POST, as an HTTP+SSE " +
        "server does a client's streamable-HTTP probe) or the response it came in",
    ),
    opt(
      "http_path",
      "utf8",
      "over HTTP: the path (no query) of the request of the exchange that carried it — a " +
        "streamable-HTTP server's endpoint: two servers behind one host:port are two paths",
    ),
    opt(
      "http_endpoint",
      "utf8",
      "over HTTP: `http_path` when it is a streamable-HTTP endpoint — a path some POST to " +
        "this host:port was answered on with JSON-RPC responses, in the POST's own answer — " +
        "else null (an HTTP+SSE session's POST endpoint and GET stream, read as `http` when " +
        "its `endpoint` event was not recorded): with the session id, what tells sessions " +
        "apart on one host:port",
    ),
    opt(
      "mcp_session_id",
      "utf8",
      "over HTTP: the exchange's `Mcp-Session-Id` (the request's, else the one its answer " +
        "assigned, as to `initialize`), as the capture wrote it: a keyed digest of the id, the " +
        "same for one id within a recording, over HTTP/1 and HTTP/2 alike; null when none, or " +
        "masked (any `*`: recordings made before the digest, an id cut by a gap). Over " +
        "HTTP+SSE (`sse`): the `sessionId` (Python SDK: `session_id`) URL parameter (a POST's target; the `endpoint` " +
        "event's for the server's messages on its stream), the capture's digest too; null " +
        "for every message of a client and server pair when any of them has none (a stream " +
        "whose endpoint was masked: its sessions are told apart no further)",
    ),
    opt(
      "mcp_protocol_version",
      "utf8",
      "over HTTP: the exchange's `MCP-Protocol-Version` header (MCP's evidence)",
    ),
    opt("a2a_version", "utf8", "over HTTP: the exchange's `A2A-Version` header (Agent2Agent's)"),
  ] as const,
);

export const mcpCallsTable = table(
  "mcp_calls",
  "One row per MCP request (`initialize`, `tools/list`, `tools/call`, ...) with its response: " +
    "who asked whom, what, and what came back, when. Not the requests between two processes " +
    "whose stdio JSON-RPC another protocol's `initialize` opened (a numeric `protocolVersion`: " +
    "the Agent Client Protocol; none, with `processId` or `rootUri`: the Language Server " +
    "Protocol), nor those of a session with no MCP evidence (no `initialize` or " +
    "`server/discover`, no `_meta` key `io.modelcontextprotocol/...`) that carries one of the " +
    "Agent2Agent protocol's own methods (`message/send`, even beside its `tasks/get` polls) or " +
    "methods none of them MCP's (analysis/mcp/methods.ts): their messages are in " +
    "`mcp_messages` only, and a `protocol` problem says each such session.",
  [
    recordingCol,
    col("mcp_call_id", "int64", "the request's `message_id`"),
    opt(
      "session_id",
      "int32",
      "the agent session of the client: of its pid's incarnation alive then (see `lineage`)",
    ),
    opt(
      "client_pid",
      "int32",
      "the session's client (the agent), which sent the request unless `from_server`; null: " +
        "an HTTP client not traced",
    ),
    opt(
      "server_pid",
      "int32",
      "the MCP server process (over HTTP: the process that answered on the connection, the " +
        "listening side; null when it was not traced), which received the request unless " +
        "`from_server`",
    ),
    opt(
      "server_name",
      "utf8",
      "the server's `serverInfo.name` from its `initialize` answer (MCP 2026-07-28, which has " +
        "none: from its answer to `server/discover`)",
    ),
    TRANSPORT,
    SERVER_PORT,
    SERVER_HOST,
    col("method", "utf8", "the method"),
    opt("tool", "utf8", "`tools/call`: the tool's name"),
    opt("arguments", "json", "`tools/call`: the arguments"),
    opt("result", "json", "the result, when it answered with one"),
    opt("error_code", "int64", "the JSON-RPC error code, when it answered with an error"),
    opt("error_message", "utf8", "the JSON-RPC error message"),
    opt("is_error", "bool", "`tools/call`: the result's `isError`"),
    col("start_ns", "int64", "request time"),
    opt("end_ns", "int64", "response time; null without a response"),
    opt("latency_ms", "float64", "end - start in milliseconds"),
    col(
      "from_server",
      "bool",
      "the server asked its client (`roots/list`, `sampling/createMessage`, " +
        "`elicitation/create`, `ping`): `client_pid` and `server_pid` are still the session's",
    ),
    col(
      "progress",
      "int64",
      "`notifications/progress` the receiver sent for it (its `_meta.progressToken`) until its " +
        "answer",
    ),
    col(
      "cancelled",
      "bool",
      "its sender cancelled it (`notifications/cancelled` with its id) before any answer: " +
        "no answer is then expected (streamable HTTP clients may also cancel by closing the " +
        "request's event stream, MCP 2026-07-28: not told here)",
    ),
  ] as const,
);

export const mcpToolsTable = table(
  "mcp_tools",
  "Each tool a server listed in a `tools/list` answer: what the agent showed the model.",
  [
    recordingCol,
    col("mcp_call_id", "int64", "the `tools/list` call"),
    opt("server_pid", "int32", "the server"),
    opt("server_name", "utf8", "its `serverInfo.name`"),
    col("name", "utf8", "tool name"),
    opt("description", "utf8", "its description"),
    opt("input_schema", "json", "its `inputSchema`"),
  ] as const,
);

export const mcpToolLinksTable = table(
  "mcp_tool_links",
  "Which LLM tool call caused each MCP `tools/call`: the agent's name for the tool (Claude Code " +
    "`mcp__SERVER__TOOL`, Gemini CLI `mcp_SERVER_TOOL`, Codex the bare name in the namespace " +
    "`mcp__SERVER`) ends with the MCP tool's name, the arguments are equal, and the MCP call " +
    "started inside the tool call's window (`tool_windows`).",
  [
    recordingCol,
    col("mcp_call_id", "int64", "the `tools/call`"),
    col("tool_call_id", "int64", "the LLM tool call"),
    opt(
      "server_alias",
      "utf8",
      "the server's name in the agent's configuration, from the tool name",
    ),
    col("arguments_equal", "bool", "the LLM tool call's input equals the MCP arguments"),
  ] as const,
);

export const mcpServersTable = table(
  "mcp_servers",
  "One row per traced MCP server and client (a process that was sent an `initialize`), with " +
    "how it came to run: `configured` when its client is an agent process and, over stdio, " +
    "started it itself (it descends from the client), as an agent starts the servers its " +
    "configuration names; over loopback HTTP, where the configuration names a URL and the " +
    "server runs on its own, when its client is an agent process; likewise for a remote server " +
    "reached over HTTPS, whose process is not seen (`server_host`). Else it is used outside the " +
    "agent's configuration (`mcp_server_unconfigured`). Its process branch's actions outside " +
    "the calls it served are attributed to it (`links` attribution `mcp_server`).",
  [
    recordingCol,
    opt("server_pid", "int32", "the server process (null: a remote server, see `server_host`)"),
    opt("server_start_ns", "int64", "start of its incarnation alive at `initialize`"),
    col("client_pid", "int32", "the process that sent `initialize`"),
    TRANSPORT,
    SERVER_PORT,
    SERVER_HOST,
    opt(
      "server_path",
      "utf8",
      "streamable HTTP: its endpoint's path (`mcp_messages.http_path`): two servers behind " +
        "one host:port on two paths are two rows",
    ),
    opt(
      "session_id",
      "int32",
      "the agent session of the client: of its pid's incarnation alive then (see `lineage`)",
    ),
    opt("server_name", "utf8", "its `serverInfo.name`"),
    opt(
      "server_alias",
      "utf8",
      "the name the agent's configuration gives it, as the agent named its tools to the model " +
        "(`mcp_tool_links.server_alias`; null when the model called none of its tools, and for " +
        "Codex, which names them without their server)",
    ),
    opt("argv", "list_utf8", "the server's command line (its last exec)"),
    col(
      "mcp_call_id",
      "int64",
      "its first `initialize` from this client (MCP 2026-07-28, which has none: its first " +
        "answered `server/discover`, or request carrying that protocol version in `_meta`)",
    ),
    col("init_ns", "int64", "time of that call"),
    opt("client_role", "utf8", "the client's role in `lineage` (`agent` for an agent)"),
    opt("client_chain", "list_utf8", "program names from the agent down to the client"),
    col("started_by_client", "bool", "the server descends from its client"),
    col(
      "configured",
      "bool",
      "the client is an agent process and (over stdio) started the server itself",
    ),
    opt(
      "tool_call_id",
      "int64",
      "the LLM tool call whose process tree started the server or its client, if one did",
    ),
    col("tool_calls", "int64", "`tools/call`s this client sent it"),
    opt("branch_pid", "int32", "the server's process branch (`lineage.branch_pid`)"),
    opt("branch_start_ns", "int64", "start of that branch"),
  ] as const,
);

export const MCP_TABLES = [
  mcpMessagesTable,
  mcpCallsTable,
  mcpToolsTable,
  mcpToolLinksTable,
  mcpServersTable,
] as const;

export type McpMessageRow = RowOf<typeof mcpMessagesTable>;
