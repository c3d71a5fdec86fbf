/**
 * Every table of an analysed recording (`analysis.duckdb`), declared once with the column kit
 * of `kit/columns.ts`: the raw capture tables with a `recording` column added, and the
 * tables the analysis builds from them — `recordings`, `problems`, `blind_spots`, `http_exchanges`,
 * `sse_events`, `ws_messages`, `llm_calls`, `tool_calls`, `processes` and `process_programs`. The views over raw events (`file_events`,
 * `net_events`) are defined by their `.sql` files and documented in `VIEWS` below.
 *
 * Every table has a `recording` column (the recording's directory name), so the tables of
 * many recordings can be stacked and still told apart (`deno task sql`).
 */
import { col, type Column, opt, type RowOf, table, type TableDef } from "../kit/columns.ts";
import {
  fileTable,
  ipcTable,
  netTable,
  privilegeTable,
  processTable,
  tlsTable,
} from "../recording/schema.ts";

/** Every analysis table's first column. */
export const recordingCol = col(
  "recording",
  "utf8",
  "the recording this row comes from: its directory name",
);

/** A capture table as loaded into DuckDB: the same columns, with `recording` first. */
function withRecording<C extends readonly Column[]>(def: TableDef<C>) {
  return table(
    def.name,
    `${def.doc} Loaded as recorded (recording/RECORDING.md), with \`recording\` added.`,
    [recordingCol, ...def.columns] as const,
  );
}

export const rawProcessTable = withRecording(processTable);
export const rawFileTable = withRecording(fileTable);
export const rawNetTable = withRecording(netTable);
export const rawTlsTable = withRecording(tlsTable);
export const rawPrivilegeTable = withRecording(privilegeTable);
export const rawIpcTable = withRecording(ipcTable);

export const RAW_TABLES = [
  rawProcessTable,
  rawFileTable,
  rawNetTable,
  rawTlsTable,
  rawPrivilegeTable,
  rawIpcTable,
] as const;

export const recordingsTable = table(
  "recordings",
  "One row per recording: what was run, when, and how much of it could be read.",
  [
    recordingCol,
    col("path", "utf8", "absolute path of the recording directory when it was analysed"),
    opt("command", "list_utf8", "the command that was captured (manifest `command`)"),
    opt("started_ns", "int64", "capture start, ns since the epoch"),
    opt("ended_ns", "int64", "capture end, ns since the epoch; null if it never ended cleanly"),
    opt("exit_code", "int32", "exit code of the captured command"),
    col("complete", "bool", "the manifest says the capture ended cleanly"),
    opt("host", "utf8", "host name the capture ran on"),
    opt("tool_version", "utf8", "Sightline version that made the recording"),
    col("rows_read", "int64", "rows read from the Arrow files"),
    col("problems", "int64", "rows in `problems` for this recording"),
  ] as const,
);

export const problemsTable = table(
  "problems",
  "What could not be read or parsed cleanly, one line each: corrupt or truncated files, gaps " +
    "in TLS streams, protocol errors. Nothing here is silently repaired.",
  [
    recordingCol,
    col(
      "source",
      "utf8",
      "the file, stream or build step concerned, e.g. `tls.arrow`, `pid 12/conn 0x1a`, " +
        "`actions.sql`",
    ),
    col(
      "kind",
      "utf8",
      "`file`, `gap`, `truncated` (also, source `file`, file actions whose path the capture " +
        "could not resolve whole: `file.path_incomplete`; and, source `process_programs`, " +
        "processes whose program was not found because their chain of forks with no exec " +
        "between is deeper than 64 generations: their `exe` is null until they exec; and, " +
        "source `llm_calls`, processes whose LLM calls' lineage is deeper than 64 generations " +
        "with no program that names an agent in them: their `agent` is the nearest program's " +
        "name, or null; and, source `lineage`, agents more than 64 generations below their " +
        "first recorded ancestor: those further up are `outside`, not `launcher`; and, source " +
        "`homes_capped.sql`, a recording showing more than 64 directories as homes: the " +
        "detectors take 64 for homes, and name those left out), `cycle` (sources " +
        "`process_programs`, `llm_calls`, `lineage`: as `truncated`, but the walk up parents " +
        "met a process already on it, a loop of recorded parents (a damaged recording, or pids " +
        "reused with their forks unseen), and was cut there; the message names the loop), " +
        "`lost` (bytes lost in capture, or " +
        "withheld by it so no " +
        "secret leaks; also what the capture dropped: source `capture`), " +
        "`protocol`, `llm` (also a POST whose body looks like an LLM API request on a route " +
        "no reader knows: it has no `llm_calls` row; and, source `llm_calls`, calls whose agent " +
        "could not be named: their User-Agent names none and no program of their process's " +
        "lineage was recorded: a process joined by a `--pid` capture older than the raw `joined` " +
        "rows, or one whose fork or exec records were lost; and calls whose model the price " +
        "table has no price for, by model: their `cost_usd` is null; and, source `tool_calls`, a compaction's summariser whose transcript text carries tool results it could not tie to a call: one row per summariser, counting by tool those no call of the recording fits and those several fit); `capture`: an error or a warning (`warning: ...`) the capture reported, or a capture that did not " +
        "end cleanly; `blind`: actions the capture saw and could not record (io_uring requests " +
        "not decoded, io_uring not attached: see `blind_spots`), and, source `file`, " +
        "processes that changed their root directory (chroot), whose later paths are as " +
        "named, from that root (those resolved from a directory outside it, from the " +
        "machine's: the two cannot be told apart); and, source `net`, a recording " +
        "with no LLM call whose traced processes connected to servers on loopback, which may " +
        "have made the calls outside the capture (an agent's daemon started before it, as " +
        "Cline 3's hub), or been the model's server with the process's TLS unrecorded (a " +
        "process shown with no TLS recorded at all is named with its files, as below); and, " +
        "source `net`, traced processes that connected, or tried to, to TCP port 443 (stream " +
        "sockets; a connect refused at once is not counted, one that failed after EINPROGRESS " +
        "cannot be told apart: no socket state is recorded; nor one to an address a traced " +
        "process served port 443 on; nor a relay's, which accepted before it a connection " +
        "from a traced client whose TLS was recorded) with no TLS call of theirs recorded (a TLS library not " +
        "hooked, or no session began), each named with its executable and the libraries it " +
        "opened that manifest.json's attach section lists as not hooked or that are its own " +
        "(outside the system's library directories), in that section's words, and what to " +
        "do; a process one of whose files a `capture` problem names already is left out; " +
        "`incomplete`: a response the stream " +
        "ends inside (or before; not one whose HTTP/2 stream the client cancelled, nor MCP's " +
        "`GET` event stream for the server's messages, which the client leaves open until it " +
        "closes the connection or the stream (when its last event is whole and the manifest states " +
        "no loss of TLS or ipc records), nor the answer to " +
        "the `DELETE` that ends an MCP session, nor that to a `POST` whose JSON-RPC body holds " +
        "notifications and responses alone, no request, when it is a `202 Accepted` (or no " +
        "answer was read at all: MCP's streamable HTTP accepts such a POST with a `202 Accepted` " +
        "and no body; the SDKs' HTTP+SSE servers answer every POST so): the client need not " +
        "read them; an error status, which may carry a JSON-RPC error, is still said when cut " +
        "short); also an MCP request over stdio or HTTP+SSE never answered nor cancelled whose " +
        "receiver's process ended meanwhile (a server killed or crashed while it served a " +
        "call: the message says how it ended and who sent the signal); `running`: traced processes with no recorded exit, still " +
        "running when the capture ended (or their exit lost): what they did afterwards is not " +
        "recorded (source `processes`); `row`: a row left out of a table " +
        "for breaking its declaration (the message names the table and the row); `sql`: a " +
        "build step that failed (the message names its file and what it left empty); " +
        "`guess`: a fact inferred by a weaker rule because the recording lacks what the exact " +
        "one needs (source `proxy_guesses.sql`: loopback connects to an HTTP proxy named by the " +
        "hosts of their process's next connection to a proxy, not by their own connection: " +
        "`net_destinations.name_source` `proxy_process`)",
    ),
    col("message", "utf8", "one line saying what is wrong"),
    opt("exchange_id", "int64", "the exchange affected, when there is one"),
  ] as const,
);

export const blindSpotsTable = table(
  "blind_spots",
  "What each recording cannot show, as its manifest states it (recording/blind_spots.ts): what " +
    "the run ran into (io_uring requests it could not decode, io_uring not attached), the " +
    "kernel hooks the capture has no view from, and the standing paths around it. A recording " +
    "made before 0.2.0, whose manifest lists none, gets `before-0.2.0` (what it did not record " +
    "at all) and the standing ones. An empty table elsewhere is no proof that nothing happened " +
    "along these.",
  [
    recordingCol,
    col("spot_id", "utf8", "stable name, e.g. `io_uring-not-decoded`, `kernel-hooks`"),
    col("title", "utf8", "a few words naming it"),
    col("what", "utf8", "what the tables do not show"),
    opt("count", "int64", "how many times this recording ran into it, when counted"),
  ] as const,
);

export const httpExchangesTable = table(
  "http_exchanges",
  "One row per HTTP request/response pair rebuilt from the TLS streams (HTTP/1.1 and " +
    "HTTP/2), LLM API calls and all other HTTPS traffic alike, and from the TCP connections in " +
    "cleartext HTTP/1 (`ipc` rows of kind `tcp`, `conn_gen` -1) whose client spoke an LLM API " +
    "(a model server or proxy on the same machine or on the LAN, e.g. Ollama, vLLM, LiteLLM), " +
    "and those a traced client made, to another machine or on loopback, that are neither an LLM " +
    "API's nor MCP's (MCP's: its client sent that server a JSON-RPC request body) (a download, " +
    "a REST API, a local dev server, an upload: `curl -d @.env http://10.0.0.5:8080/upload`; " +
    "no LLM call). " +
    "Key: (`recording`, `exchange_id`).",
  [
    recordingCol,
    col("exchange_id", "int64", "number of the exchange in the recording, in request order"),
    col("pid", "int32", "process that made the connection (the client)"),
    col(
      "conn_id",
      "int64",
      "TLS connection (tls.conn_id); cleartext over TCP (`conn_gen` -1): the " +
        "connection's lower socket inode (ipc.inode of one end)",
    ),
    col(
      "conn_gen",
      "int32",
      "TLS connection generation (tls.conn_gen); -1: not TLS, cleartext HTTP over TCP (on " +
        "loopback or to another address) read from `ipc`",
    ),
    col("protocol", "utf8", "`http/1.1` or `h2` (told by the HTTP/2 client preface)"),
    opt("stream_id", "int32", "HTTP/2 stream id"),
    opt(
      "host",
      "utf8",
      "Host header or :authority; cleartext (`conn_gen` -1) without either: the server's " +
        "address and port (`10.0.0.5:11434`, `[fd00::5]:8000`)",
    ),
    opt("method", "utf8", "request method; null if the request was not seen"),
    opt("path", "utf8", "request target (path and query)"),
    opt("status", "int32", "response status; null if no response was seen"),
    opt("request_headers", "json", "request header fields in wire order, `[[name, value], ...]`"),
    opt("response_headers", "json", "response header fields in wire order"),
    opt("request_content_type", "utf8", "request Content-Type"),
    opt("response_content_type", "utf8", "response Content-Type"),
    opt("content_encoding", "utf8", "response Content-Encoding, if any"),
    opt(
      "request_content_encoding",
      "utf8",
      "request Content-Encoding, if any (Codex compresses some request bodies with zstd)",
    ),
    col("request_bytes", "int64", "request body bytes on the wire (after de-chunking)"),
    col("response_bytes", "int64", "response body bytes on the wire (after de-chunking)"),
    opt("request_body", "binary", "request body, content-decoded"),
    opt("response_body", "binary", "response body, content-decoded"),
    col(
      "streaming",
      "bool",
      "the response is an event stream (text/event-stream, an AWS event stream: Bedrock, or " +
        "NDJSON: Ollama's native API)",
    ),
    col("sse_events", "int32", "server-sent events (or NDJSON lines) in the response"),
    col(
      "ws_messages",
      "int32",
      "messages of the WebSocket this exchange opened (101, or an HTTP/2 extended CONNECT); " +
        "rows in `ws_messages`",
    ),
    opt("request_ns", "int64", "when the TLS call carrying the request's first byte returned"),
    opt("request_end_ns", "int64", "when the request's last byte was written"),
    opt("response_ns", "int64", "when the response's first byte was read"),
    opt("response_end_ns", "int64", "when the response's last byte was read"),
    col("request_complete", "bool", "the whole request was seen"),
    col("response_complete", "bool", "the whole response was seen"),
    col(
      "gap",
      "bool",
      "TLS calls are missing (a seq number skipped) or cut (`truncated`) inside this " +
        "exchange, or its response is missing after such a break: bytes of it may be lost",
    ),
    col("truncated", "bool", "a TLS call of this exchange was cut at --max-tls-bytes"),
    col("lost_bytes", "int64", "bytes of this exchange's TLS calls lost in capture (zero-filled)"),
    opt("error", "utf8", "protocol or decoding errors met in this exchange"),
    opt(
      "llm_call_id",
      "int64",
      "the LLM call this exchange carries, if it is one (a WebSocket carries many: see " +
        "`llm_calls.exchange_id`)",
    ),
  ] as const,
);

export const sseEventsTable = table(
  "sse_events",
  "One row per server-sent event of every event-stream response, with the time of the TLS " +
    "call that carried its last byte: the timeline of a streamed answer. An AWS event stream " +
    "(Bedrock's `invoke-with-response-stream`) gives one row per message: a `chunk`'s decoded " +
    "event JSON, typed by its `type`; an exception as an `error` event. An NDJSON response " +
    "(`application/x-ndjson`: Ollama's native API streaming) gives one row per line, of type " +
    "`ndjson`, its data the line. Key: (`recording`, `exchange_id`, `event_index`).",
  [
    recordingCol,
    col("exchange_id", "int64", "the exchange whose response carried it"),
    col("event_index", "int32", "position in the stream, from 0"),
    col("type", "utf8", "the event type (`message` when none was given)"),
    col("data", "utf8", "the event's data (lines joined with newlines)"),
    opt("ts_ns", "int64", "when the TLS call holding the event's last byte returned"),
    col("incomplete", "bool", "the stream ended inside this event"),
  ] as const,
);

export const wsMessagesTable = table(
  "ws_messages",
  "One row per WebSocket message (RFC 6455) of every connection that switched to WebSocket, " +
    "both directions, control frames included, decoded (permessage-deflate undone): OpenAI " +
    "Responses over WebSocket, as Codex speaks it, and any other. Key: (`recording`, " +
    "`exchange_id`, `direction`, `message_index`).",
  [
    recordingCol,
    col("exchange_id", "int64", "the exchange (the upgrade) that opened the WebSocket"),
    col("pid", "int32", "process that made the connection"),
    col("conn_id", "int64", "TLS connection (tls.conn_id)"),
    col(
      "conn_gen",
      "int32",
      "TLS connection generation (tls.conn_gen); -1: cleartext HTTP over TCP (see " +
        "`http_exchanges`)",
    ),
    col("direction", "utf8", "`client` (sent by the traced process) or `server`"),
    col("message_index", "int32", "position among this direction's messages, from 0"),
    col("kind", "utf8", "`text`, `binary`, `close`, `ping` or `pong`"),
    opt("ts_ns", "int64", "when the TLS call carrying the message's first byte returned"),
    opt("end_ns", "int64", "when the TLS call carrying its last byte returned"),
    col("wire_bytes", "int64", "payload bytes on the wire, all frames (compressed if so)"),
    col("size", "int64", "payload bytes decoded (0 when it could not be decoded)"),
    col("compressed", "bool", "sent with permessage-deflate"),
    col("frames", "int32", "frames the message spanned (fragments)"),
    opt("event_type", "utf8", "the `type` field of a JSON text message (`response.create`, ...)"),
    opt(
      "text",
      "utf8",
      "a text message's payload (bytes that are not UTF-8 as U+FFFD: `data` keeps them)",
    ),
    opt(
      "data",
      "binary",
      "a binary or control message's payload; a text message's when it is not valid UTF-8",
    ),
    opt("close_code", "int32", "a close frame's status code"),
    col("incomplete", "bool", "the stream ended inside this message"),
    opt(
      "error",
      "utf8",
      "why the payload is missing or partial (too large, not decodable), or breaks RFC 6455 " +
        "(text or a close reason not UTF-8, a close frame's 1-byte body or forbidden code)",
    ),
    opt("llm_call_id", "int64", "the LLM call this message belongs to (request or event)"),
  ] as const,
);

export const llmCallsTable = table(
  "llm_calls",
  "One row per call of an LLM API (Anthropic Messages, OpenAI Responses and Chat " +
    "Completions, Gemini generateContent/streamGenerateContent), streaming or not, over HTTP " +
    "or (OpenAI Responses) over a WebSocket, side requests included. Key: (`recording`, " +
    "`llm_call_id`).",
  [
    recordingCol,
    col("llm_call_id", "int64", "number of the call in the recording, in request order"),
    col(
      "exchange_id",
      "int64",
      "the HTTP exchange that carried it; over a WebSocket, the upgrade that opened it",
    ),
    col("pid", "int32", "the process that made the call"),
    opt(
      "agent",
      "utf8",
      "the agent that made the call: `claude-code`, `gemini-cli`, `codex`, `opencode`, " +
        "`qwen-code`, `kilo-code`, `factory-droid` by their User-Agent; another by the product " +
        "name its User-Agent leads with (`Kimi-CLI/1.2` is `Kimi-CLI`, `acme-http-agent/1` " +
        "`acme-http-agent`), unless that is an SDK's, an HTTP client's or a runtime's, by its " +
        "documented token, its last word or its version (`OpenAI/JS 5.20.1`, `ai-sdk/...`, " +
        "`node-fetch`, `python-httpx`, `Go-http-client`, `Bun`, `Ruby`, `ollama-js`: " +
        "analysis/llm/call_kind.ts `genericProduct`); then by the program its process ran, from " +
        "its last exec before the call (a forked child's: its parent's), up its lineage to the " +
        "nearest program that names one (past shells, wrappers and `node -e`-like runtimes " +
        "with no script, known by the executable, not a script's name: macros.sql " +
        "`runs_commands`; 64 generations at most, then the nearest program, or null, and a " +
        "`problems` row, kind `truncated`): a file inside an npm " +
        "package by the package, a platform build's by the package it builds " +
        "(`.../@github/copilot/index.js` and `.../@github/copilot-linux-x64/copilot` are both " +
        "`@github/copilot`; a node script linking into a package, `node .../node_modules/.bin/cn` " +
        "or a global install's `/usr/local/bin/cn`, the package its process opened first, " +
        "`@continuedev/cli`, when its opens show it, else `cn`); a runtime's script by " +
        "its base name (`python3 -m aider` is `aider`, `java -jar acme-1.2.jar` is `acme`, `java -cp " +
        "x com.acme.Main` is `com.acme.Main`; a generic one, `index`, `main`, `cli`, `__main__`, " +
        "..., by its nearest directory that is not `dist`, `src`, `lib`, ...: `node " +
        "~/myagent/dist/index.js` is `myagent`), any other program by its executable's base " +
        "name (a tool an agent runs, `curl` from its shell tool, is that tool); null when " +
        "none of these is recorded (a process joined with --pid)",
    ),
    col(
      "provider",
      "utf8",
      "`anthropic`, `openai-responses`, `openai-chat`, `gemini` or `ollama` (the API spoken: " +
        "Anthropic on Vertex AI or Bedrock is `anthropic`, Azure OpenAI `openai-*`, Ollama's " +
        "native API `ollama` and its OpenAI-compatible `/v1` `openai-*`; " +
        "`http_exchanges.path` and `host` tell the cloud)",
    ),
    col(
      "endpoint",
      "utf8",
      "the API method: `messages`, `responses`, `chat.completions`, " +
        "`generateContent`, `streamGenerateContent`, or Ollama's `api/chat` or `api/generate`",
    ),
    col(
      "transport",
      "utf8",
      "`http` (a request and its response, over TLS), `cleartext-http` (the same in plain " +
        "HTTP/1 over TCP, read from `ipc`: a model server or proxy on the same machine or on " +
        "another one; `http_exchanges.host` says which) " +
        "or `websocket` (a `response.create` message and the event messages answering it)",
    ),
    col("kind", "utf8", "`main` (a turn of the conversation) or `side`"),
    opt(
      "side_kind",
      "utf8",
      "for side calls: `warmup` (OpenAI Responses `generate: false`: no output asked), " +
        "`router`, `next-speaker`, `loop-check`, `structured` (asks for JSON output), `title` " +
        "or `no-tools`",
    ),
    opt("model", "utf8", "the model that answered (response), else the one requested"),
    opt("request_model", "utf8", "the model named in the request (Gemini: in the path)"),
    col(
      "streaming",
      "bool",
      "the answer came as events (server-sent, NDJSON lines, or WebSocket messages)",
    ),
    opt(
      "status",
      "int32",
      "HTTP status; over a WebSocket the status an `error` event carried, else null",
    ),
    opt("request_ns", "int64", "request start: the TLS write carrying its first byte"),
    opt("first_byte_ns", "int64", "first response byte read"),
    opt(
      "first_token_ns",
      "int64",
      "first output (text, thinking or tool call) read; for a non-streaming answer, its end",
    ),
    opt("end_ns", "int64", "last response byte read"),
    opt("ttft_ms", "float64", "time to first token: first_token_ns - request_ns, in ms"),
    opt("duration_ms", "float64", "end_ns - request_ns, in ms"),
    opt("system_prompt", "utf8", "the system prompt / instructions / developer messages, joined"),
    opt(
      "user_input",
      "utf8",
      "the new user text of this turn: user messages after the last model turn, tool " +
        "results excluded",
    ),
    opt("assistant_text", "utf8", "the text the model answered"),
    opt(
      "thinking",
      "utf8",
      "thinking / reasoning summary text (Anthropic's `redacted_thinking`, encrypted: a note " +
        "saying so and its size)",
    ),
    col(
      "tool_call_count",
      "int32",
      "calls of the agent's tools in the answer (rows in `tool_calls`)",
    ),
    col(
      "server_tool_call_count",
      "int32",
      "tools the provider ran within the answer (rows in `server_tool_calls`)",
    ),
    opt(
      "refusal",
      "utf8",
      "the model declined: its refusal text (OpenAI's `refusal`; Anthropic: the text of an " +
        "answer stopped with `refusal`), or the reason that says so: Anthropic stop reason " +
        "`refusal` with no text, OpenAI `content_filter`, Gemini finish " +
        "reasons `SAFETY`, `RECITATION`, `BLOCKLIST`, `PROHIBITED_CONTENT`, `SPII`, " +
        "`IMAGE_*`, or a blocked prompt (`prompt blocked: REASON`); null otherwise",
    ),
    col("tool_result_count", "int32", "tool results the request carried back"),
    col("messages", "int32", "messages / contents / input items in the request's history"),
    col("tools_offered", "int32", "tools the request declared"),
    opt("stop_reason", "utf8", "stop/finish reason as the provider says it"),
    opt(
      "input_tokens",
      "int64",
      "input tokens as the provider reports them (Anthropic: not counting cache reads and " +
        "writes; OpenAI and Gemini: counting cache reads)",
    ),
    opt(
      "output_tokens",
      "int64",
      "output tokens, thinking included (Gemini: candidates + thoughts)",
    ),
    opt("cache_read_tokens", "int64", "input tokens read from the prompt cache"),
    opt(
      "cache_write_tokens",
      "int64",
      "input tokens written to the prompt cache (Anthropic), whatever their lifetime",
    ),
    opt(
      "cache_write_1h_tokens",
      "int64",
      "of `cache_write_tokens`, those kept for an hour (Anthropic's " +
        "`cache_creation.ephemeral_1h_input_tokens`), billed at their own rate",
    ),
    opt("reasoning_tokens", "int64", "output tokens spent thinking, when reported"),
    opt(
      "cost_usd",
      "float64",
      "cost of the tokens from the price table; null when the model has no price (the " +
        "table prices a model by its own entry or that of the model it is a snapshot of, " +
        "never another version's: a `problems` row `llm` names the unpriced models) (or the " +
        "answer wrote hour-long cache entries and the price has no `cache_write_1h`), or when " +
        "an answer that broke off (`outcome` `cut`, or an error after a 200) reported no " +
        "tokens; 0 for an error answer (status 400 or more) that reports no tokens: the APIs " +
        "bill none; an answer that broke off after reporting some tokens costs those " +
        "(`price_source` says so). Fees per use of a server tool (a web search) are not " +
        "counted: see `server_tool_calls`",
    ),
    opt(
      "price_source",
      "utf8",
      "where the price used came from, with its date (or that the answer was an error, or " +
        "why an answer that broke off has no cost or a partial one)",
    ),
    opt("response_id", "utf8", "the provider's id of the answer"),
    opt(
      "previous_response_id",
      "utf8",
      "OpenAI Responses: the earlier response this request continues (it sent only new input)",
    ),
    opt(
      "previous_llm_call_id",
      "int64",
      "the call that got `previous_response_id`; its history, output and this call's input " +
        "make this call's conversation (system prompt, user input and `messages` count it)",
    ),
    col(
      "conversation_id",
      "int64",
      "the conversation the call belongs to: the `llm_call_id` of its first call. A call " +
        "continues the call of the same process whose whole history its own history holds " +
        "before one of the model's turns (the APIs take the history again with each request), " +
        "or whose response it names " +
        "(`previous_llm_call_id`), or whose tool calls the results it carries answer; a " +
        "retry (the same history as a failed call that had ended: an error, an answer cut " +
        "short or none, or a main turn refused or answered with neither text nor a tool call) " +
        "continues the failed one; " +
        "else it starts one. A sub-agent's calls (Claude Code's Agent/Task tool) and a side " +
        "request with a history of its own (a title) are conversations of their own; a side " +
        "request that carries the conversation's history (Gemini CLI's next-speaker check) is " +
        "of that conversation. A session goes on as one conversation across a compaction (a " +
        "main turn whose history opens with a summary: the text answer of a call of its " +
        "process, at least a quarter of its lines) and across processes (a call whose history " +
        "holds that of another process's call that had ended, or names the tool calls such a " +
        "call asked for: a session resumed, also when a warm-up began its chain); a fork " +
        "(a sub-agent given the whole history, its starting tool call answered with its " +
        "task: Claude Code's fork) is a conversation of its own",
    ),
    opt(
      "conversation_via",
      "utf8",
      "how the call joined its conversation: `response` (it names that conversation's " +
        "response), `tool_results` (it answers that conversation's tool calls), `retry` (the " +
        "history of a failed call), `history` (it holds the history of a call of its process), " +
        "`resumed` (that of another process's call: a session resumed), `summary` (its history " +
        "starts again from that conversation's summary: a compaction), `transcript` (a " +
        "compaction's summariser that quotes that conversation as text, not as messages: a " +
        "later main turn starts again from its summary); null for a call that starts a " +
        "conversation",
    ),
    col(
      "incomplete",
      "bool",
      "the answer was cut short (stream ended without its final event or an error, or no " +
        "response: `outcome` `cut` or `unanswered`); an error answer received whole is not " +
        "(status 400 or more, or the API's error event or object ending a stream)",
    ),
    opt(
      "error",
      "utf8",
      "the API's error message: of a non-2xx answer, or of the error that ended a stream " +
        "after a 200 (Anthropic `event: error`, an OpenAI error chunk, `response.failed` or " +
        "`error` event, a Gemini error object, a Bedrock exception)",
    ),
    col(
      "outcome",
      "utf8",
      "how the answer ended: `complete` (its final event, or a whole body), `error` (the " +
        "API's error received whole: a status of 400 or more, or an error in the stream after " +
        "a 200, whatever output came before it), `cut` (the stream or body ends without its end and without " +
        "an error: the connection closed or was reset, the stream stopped early, or its last " +
        "bytes were not recorded, an error status's body included: a `problems` row " +
        "`incomplete` says which may be) or " +
        "`unanswered` (no response recorded)",
    ),
    opt(
      "error_type",
      "utf8",
      "the API's name for the error: Anthropic `error.type` (`overloaded_error`, " +
        "`rate_limit_error`, ...; on Bedrock the exception, `throttlingException`), OpenAI " +
        "`error.code`, else `error.type` (Responses: `response.error.code`), Gemini " +
        "`error.status` (`UNAVAILABLE`, `RESOURCE_EXHAUSTED`)",
    ),
  ] as const,
);

export const toolCallsTable = table(
  "tool_calls",
  "One row per tool call a model asked for, with the result the agent sent back in a later " +
    "request (matched by call id; Gemini calls without ids by name and order). The agent ran " +
    "each: a client-run tool search of the OpenAI Responses API (a `tool_search_call` with " +
    "`execution` `client`: Codex loading deferred MCP tools) is one, named `tool_search`; one " +
    "the API ran is in `server_tool_calls`. Key: (`recording`, `tool_call_id`).",
  [
    recordingCol,
    col("tool_call_id", "int64", "number of the tool call in the recording"),
    col("llm_call_id", "int64", "the LLM call whose answer asked for it"),
    col("call_index", "int32", "position among that answer's tool calls, from 0"),
    opt("provider_call_id", "utf8", "the provider's id (toolu_..., call_...), if any"),
    col("name", "utf8", "tool name"),
    col(
      "kind",
      "utf8",
      "`function` (JSON arguments), `custom` (free-form text input) or `tool_search` (a " +
        "client-run tool search: `input` its arguments, `{query, limit}` for Codex; " +
        "`result_text` the tools its `tool_search_output` loaded, as a JSON array of names, a " +
        "tool in a namespace as `NAMESPACE.TOOL`, `[]` for none; it acts on nothing outside " +
        "the agent, so no action is linked to it)",
    ),
    col("input", "json", "the arguments as JSON (custom tools: the input text as a JSON string)"),
    opt(
      "result_llm_call_id",
      "int64",
      "the LLM call whose request carried the result back (as a message, or only as the text of " +
        "a compaction's transcript: the summariser's, analysis/transcript_results.ts)",
    ),
    opt("result_text", "utf8", "the result as text"),
    opt("result_is_error", "bool", "the agent marked the result as an error"),
    opt("requested_ns", "int64", "when the tool call was read (end of the answer)"),
    opt("result_ns", "int64", "when the request carrying the result started"),
  ] as const,
);

export const serverToolCallsTable = table(
  "server_tool_calls",
  "One row per tool the provider ran for the model within one answer: Anthropic's server " +
    "tools (`server_tool_use` blocks: web search, web fetch, code execution, tool search) " +
    "and MCP connector calls (`mcp_tool_use`), the OpenAI Responses API's hosted tools " +
    "(`web_search_call`, `file_search_call`, `code_interpreter_call`, " +
    "`image_generation_call`, `mcp_call`, a server-run `tool_search_call`), Gemini's code " +
    "execution (`executableCode` with its `codeExecutionResult`), Google Search grounding " +
    "(`groundingMetadata`) and URL context. They ran on the provider's machines, not the " +
    "agent's: they are not in `tool_calls`, cause no process, file or connection of the " +
    "recording and are linked to none. Key: (`recording`, `server_tool_call_id`).",
  [
    recordingCol,
    col("server_tool_call_id", "int64", "number of the server tool call in the recording"),
    col("llm_call_id", "int64", "the LLM call whose answer holds it"),
    col("call_index", "int32", "position among that answer's server tool calls, from 0"),
    opt("provider_call_id", "utf8", "the provider's id (srvtoolu_..., ws_..., ...), if any"),
    col(
      "name",
      "utf8",
      "the tool: `web_search`, `web_fetch`, `code_execution`, `file_search`, " +
        "`code_interpreter`, `image_generation`, `google_search`, `url_context`, an MCP " +
        "tool (Responses: `SERVER.TOOL`), ... as the answer names it",
    ),
    col("input", "json", "what it was asked (a search's query, the code run), as JSON"),
    opt(
      "result_type",
      "utf8",
      "the result's type or status as the answer gives it (`web_search_tool_result`, " +
        "`completed`, `OUTCOME_OK`, ...); null when the answer holds no result for it",
    ),
    opt(
      "result_text",
      "utf8",
      "the result as text (inline data, an image made, said by its size); null when none",
    ),
    opt("result_is_error", "bool", "the result is an error, or the call failed"),
    opt("requested_ns", "int64", "when the answer holding it ended"),
  ] as const,
);

export const proxyRequestsTable = table(
  "proxy_requests",
  "One row per request a traced client asked of an HTTP proxy, on a cleartext TCP connection " +
    "(`ipc` rows of kind `tcp`) or inside TLS to an HTTPS proxy (`tls`), told by its request-target's form (RFC 9112 3.2): absolute " +
    "form (`GET http://evil.test/b HTTP/1.1`: `HTTP_PROXY`, `curl -x`) or CONNECT's authority " +
    "form (`CONNECT evil.test:443`: `HTTPS_PROXY`, a tunnel); a request in origin form " +
    "(`GET /b`) is to the server itself, whatever its Host header says, and is not here. " +
    "Every request of a keep-alive connection is a row, each naming the host it asked for " +
    "(`net_destinations` names a connect to a proxy by each of them). Key: (`recording`, " +
    "`conn_id`, `request_ns`, `target`).",
  [
    recordingCol,
    col(
      "conn_id",
      "int64",
      "the connection, as `http_exchanges.conn_id`: of a cleartext TCP connection (`conn_gen` " +
        "-1) the lower socket inode of its two ends; of a TLS one, to an HTTPS proxy, its TLS " +
        "connection object",
    ),
    col(
      "conn_gen",
      "int32",
      "as `http_exchanges.conn_gen`: -1 for a cleartext TCP connection, else the TLS " +
        "connection's generation (requests to an HTTPS proxy, read from the decrypted stream)",
    ),
    col("pid", "int32", "the client process"),
    col("request_ns", "int64", "when the call carrying the request's first byte was made"),
    col("method", "utf8", "the request method (`CONNECT` for a tunnel)"),
    col("target", "utf8", "the request-target as sent: an absolute URI, or CONNECT's host:port"),
    col(
      "host",
      "utf8",
      "the host it asked for: lower case, an IPv6 address without brackets, a name without a " +
        "trailing dot",
    ),
    opt(
      "port",
      "int32",
      "the port it asked for: the target's, else its scheme's (80 for http, 443 for https, " +
        "21 for ftp); null for another scheme without one, or a CONNECT without one (said in " +
        "`problems`)",
    ),
  ] as const,
);

export const processesTable = table(
  "processes",
  "One row per traced process (per pid incarnation): what it ran, when, how it ended, and " +
    "which agent it belongs to. Agent processes are those whose TLS traffic carries LLM " +
    "calls, and all their descendants.",
  [
    recordingCol,
    col("pid", "int32", "process id"),
    opt("ppid", "int32", "parent process id"),
    opt("comm", "utf8", "command name (last seen)"),
    opt(
      "exe",
      "utf8",
      "the file last executed (exec filename), or, for a process a `--pid`/`--comm` capture " +
        "joined and that did not exec after, its program as /proc showed it at the join " +
        "(raw `process` kind `joined`); null if neither was recorded",
    ),
    opt("argv", "list_utf8", "arguments of the last exec, or at the join (likewise)"),
    opt("cwd", "utf8", "working directory at the last exec, or at the join (likewise)"),
    col("exec_count", "int32", "execs seen"),
    opt(
      "start_ns",
      "int64",
      "fork time (or first event when the fork was not seen; for a joined process, the " +
        "capture's start)",
    ),
    opt("end_ns", "int64", "exit time; null if still running when the capture ended"),
    opt("exit_code", "int32", "exit status"),
    opt("exit_signal", "int32", "signal that killed it"),
    opt(
      "agent",
      "utf8",
      "the agent it belongs to: an agent process's, the one its LLM calls name most often " +
        "(llm_calls.agent: by their User-Agent, else by the program this process ran); a " +
        "descendant's, its agent process's; null if none",
    ),
    opt("agent_pid", "int32", "the agent process (the one making LLM calls) it descends from"),
    opt(
      "agent_role",
      "utf8",
      "`agent` (makes the LLM calls), `descendant` or `helper` (a descendant that is the " +
        "agent's own program run again outside every tool call: `lineage.role`)",
    ),
    col("llm_calls", "int64", "LLM calls made by this process"),
    opt(
      "net_ns",
      "int64",
      "the network namespace it ran in (its last exec's, else its fork's), by inode number " +
        "(raw `process.net_ns`); null: not recorded (recordings before 0.5.0)",
    ),
    opt("mnt_ns", "int64", "its mount namespace, likewise (raw `process.mnt_ns`)"),
    opt(
      "sandboxed",
      "bool",
      "a descendant whose network or mount namespace is not its agent process's: it ran in " +
        "a sandbox (the agent's own, e.g. bubblewrap, or a container), where the loopback is " +
        "the sandbox's and file paths are as seen inside it; false for the agent and other " +
        "descendants; null when not known",
    ),
    opt(
      "sandbox_setup_ns",
      "int64",
      "a descendant that entered a sandbox (its namespaces are not its parent's, nor its " +
        "agent's): until when it ran the sandbox runtime's own code, preparing the sandbox — " +
        "the first program run in it (its own first exec or its first child's); null when it " +
        "never ran one there (its writes are its own). Its file events before then " +
        "(`file_events.sandbox_setup`) are mount points and device nodes in the sandbox's own " +
        "file system (bubblewrap's /newroot), not changes to the host's; null for others",
    ),
    opt(
      "killed_by_pid",
      "int32",
      "a process that ended by a signal (`exit_signal`): the traced process that sent it that " +
        "signal (a `privilege` row of `kill`, `tkill`, `tgkill` or `rt_sigqueueinfo` that " +
        "succeeded, naming its pid, or its process group when it leads one, sent while it ran " +
        "or within 100 ms of its exit, which the kernel may record first: the last such); " +
        "null when no recorded signal explains its end (the kernel's own, e.g. SIGSEGV, " +
        "SIGPIPE or the OOM killer's SIGKILL; one sent by an untraced process, by the process " +
        "to itself, through a pidfd, or to a group it does not lead; recordings before 0.5.1)",
    ),
    opt(
      "killed_by_signal",
      "utf8",
      "that signal's name, as `privilege.request` (`SIGTERM`, `SIGKILL`, ...)",
    ),
    opt("killed_by_ns", "int64", "when it was sent (`privilege.ts_ns`)"),
    opt(
      "killed_by_event",
      "int64",
      "the `privilege` row that sent it: its `actions.event_id` (`privilege:ID` in evidence)",
    ),
  ] as const,
);

export const processProgramsTable = table(
  "process_programs",
  "The program each process incarnation ran, over time, built once from `process` and " +
    "`processes` (`sql/process_programs.sql`): a row from each exec on (`exe`: the file " +
    "executed, as `processes.exe` names it; a joined process's program from the join on) and, " +
    "for a process whose fork was recorded, one from the fork on (`forked`): the program it is " +
    "a copy of until its first exec, its parent's at the fork (up the forks while an ancestor " +
    "had not exec'd by then, 64 generations at most: a chain deeper than that is a `problems` " +
    "row, kind `truncated`, source `process_programs`; null when the walk reaches a process " +
    "whose program was not recorded). The program at a time is the last row from before it (an " +
    "ASOF join, as `file_events` makes), within the incarnation that had started by then " +
    "(`from_ns` not before its `processes.start_ns`).",
  [
    recordingCol,
    col("pid", "int32", "the process"),
    col("from_ns", "int64", "from when it ran this program: its exec, join or fork"),
    opt(
      "exe",
      "utf8",
      "the program: the file executed (`process.filename`); null for a copy of a program that " +
        "was not recorded",
    ),
    col("forked", "bool", "a copy of its parent's program, from its fork until its first exec"),
  ] as const,
);

/** Tables built by the analysis, in build order. */
export const ANALYSIS_TABLES = [
  recordingsTable,
  problemsTable,
  blindSpotsTable,
  httpExchangesTable,
  sseEventsTable,
  wsMessagesTable,
  llmCallsTable,
  toolCallsTable,
  serverToolCallsTable,
  proxyRequestsTable,
  processesTable,
  processProgramsTable,
] as const;

export const ALL_TABLES: readonly TableDef[] = [...RAW_TABLES, ...ANALYSIS_TABLES];

/** The views over the raw events (their SQL is in `sql/<name>.sql`), each after those it reads. */
export const VIEWS: readonly { name: string; doc: string }[] = [
  {
    name: "file_events",
    doc: "Every `file` event with the program its process was running at the time (`exe`: " +
      "`process_programs`, its exec before the event, not its last one; `exe_forked`: it had " +
      "not exec'd yet, and `exe` is the program it was forked from), its process's `comm`, " +
      "agent and agent role (from `processes`), plus `written`: a successful open for writing, creating or truncating, or a rename, unlink, mkdir, rmdir, link, symlink, chmod, chown, truncate or time change " +
      "(not counting pseudo-files under /dev, /proc and /sys, but counting /dev/shm, a real tmpfs; a link or symlink is judged by " +
      "its new name, `path2`, not by the file it points to: the `changes_files` macro), " +
      "and `sandbox_setup`: a sandbox runtime made it while preparing its sandbox's own file " +
      "system (`processes.sandbox_setup_ns`), not a change the agent's tools made.",
  },
  {
    name: "net_events",
    doc: "Every `net` event (connects and DNS questions) with the program its process was " +
      "running at the time (`exe`, `exe_forked`: as `file_events`), its `comm`, agent and " +
      "agent role.",
  },
];

export type RecordingsRow = RowOf<typeof recordingsTable>;
export type ProblemRow = RowOf<typeof problemsTable>;
export type BlindSpotsRow = RowOf<typeof blindSpotsTable>;
export type HttpExchangeRow = RowOf<typeof httpExchangesTable>;
export type SseEventRow = RowOf<typeof sseEventsTable>;
export type WsMessageRow = RowOf<typeof wsMessagesTable>;
export type LlmCallRow = RowOf<typeof llmCallsTable>;
export type ToolCallRow = RowOf<typeof toolCallsTable>;
export type ServerToolCallRow = RowOf<typeof serverToolCallsTable>;
export type ProxyRequestRow = RowOf<typeof proxyRequestsTable>;
export type ProcessesRow = RowOf<typeof processesTable>;
export type ProcessProgramsRow = RowOf<typeof processProgramsTable>;
