/**
 * The tables the detectors add to an analysed recording, declared once with the column kit:
 * their inputs (`sensitive_patterns`, `allowlist`, `injection_patterns`, loaded from the
 * pattern files), their intermediate facts (`sensitive_reads`, `net_destinations`,
 * `injection_texts`, `tool_cycles`, `agent_activity`, `file_sharing`) and their output,
 * `findings`. Their SQL is in `sql/<name>.sql`; `SCHEMA.md` is generated from this file.
 */
import { col, opt, type RowOf, table } from "../../kit/columns.ts";
import { recordingCol } from "../schema.ts";

const sessionDoc = "the agent session (the agent process's pid, see `sessions`)";

/** A path pattern file's glob and what it compiles to (patterns.ts), for both pattern tables. */
const globCols = [
  col("pattern", "utf8", "the glob as written (`~/` is any home directory, `**` any depth)"),
  col("regex", "utf8", "the regular expression it compiles to (whole path)"),
  opt(
    "home_regex",
    "utf8",
    "a `~/` glob's rest as a regular expression of the path under a home directory, for " +
      "homes the recording shows elsewhere (`home_patterns` in detect_macros.sql); null " +
      "for other globs",
  ),
] as const;

export const sensitivePatternsTable = table(
  "sensitive_patterns",
  "Paths whose reading is sensitive, from `sensitive_paths.txt` and the files users add: a " +
    "glob each, compiled to a regular expression.",
  [
    ...globCols,
    col("severity", "utf8", "`low`, `medium`, `high` or `critical`"),
    col(
      "scope",
      "utf8",
      "`tools`: reads by tool calls' and unexplained processes; `all`: the agent process's " +
        "own reads too; `named`: only when the tool call or the process's argv names the path " +
        "(for files libc reads on its own, e.g. /etc/passwd)",
    ),
    col("label", "utf8", "what the file is"),
    col("source", "utf8", "the file and line it came from"),
  ] as const,
);

export const persistencePatternsTable = table(
  "persistence_patterns",
  "Paths whose writing makes code run later or changes what an agent runs or is told (shell " +
    "start-up files, git hooks, services, crontabs, agents' settings and instructions), from " +
    "`persistence_paths.txt`: a glob each, compiled to a regular expression. A server's write " +
    "to one is never its own state (`mcp_server_overreach`).",
  [
    ...globCols,
    col("label", "utf8", "what the file is"),
    col("source", "utf8", "the file and line it came from"),
  ] as const,
);

export const allowlistTable = table(
  "allowlist",
  "Network destinations that are not exfiltration: the LLM endpoints the recording's agents " +
    "called (from `http_exchanges` of LLM calls) and the entries of `allowlist.txt` and the " +
    "files users add.",
  [
    opt(
      "recording",
      "utf8",
      "the recording for derived entries; null for entries from files",
    ),
    col(
      "host",
      "utf8",
      "host name or IP address (lower case); `*.example.com` covers subdomains",
    ),
    opt("port", "int32", "port; null for any"),
    col("source", "utf8", "`llm endpoint`, or the file and line"),
  ] as const,
);

export const injectionPatternsTable = table(
  "injection_patterns",
  "Regular expressions for instruction-like text in tool results and fetched content, from " +
    "`injection_phrases.txt` and the files users add.",
  [
    col("name", "utf8", "short name"),
    col("regex", "utf8", "RE2 regular expression, matched case-insensitively"),
    col("source", "utf8", "the file and line it came from"),
  ] as const,
);

export const sensitiveReadsTable = table(
  "sensitive_reads",
  "Every open of a path matching `sensitive_patterns` by a session's processes, with who asked " +
    "for it: the tool call (from `links`) or nobody.",
  [
    recordingCol,
    col(
      "event_id",
      "int64",
      "the file event (`actions.event_id`, table `file`)",
    ),
    col("ts_ns", "int64", "when"),
    opt("session_id", "int32", sessionDoc),
    col("pid", "int32", "the process that opened it"),
    col("path", "utf8", "the file"),
    col("ok", "bool", "the open succeeded"),
    col(
      "attribution",
      "utf8",
      "`tool`, `agent` or `unexplained` (see `links`)",
    ),
    opt("tool_call_id", "int64", "the tool call it is linked to"),
    col(
      "pattern",
      "utf8",
      "the pattern that matched (the most severe, then the first)",
    ),
    col("severity", "utf8", "the pattern's severity"),
    col("label", "utf8", "the pattern's label"),
    col(
      "named",
      "bool",
      "the tool call's input or the process's argv names the path",
    ),
    col("counted", "bool", "it passes the pattern's scope and is reported"),
  ] as const,
);

export const netDestinationsTable = table(
  "net_destinations",
  "Every connect (internet families) and DNS question of a session's processes, with the " +
    "host name it is known by and whether the allowlist covers it: one row each, but a " +
    "connect to an HTTP proxy has one row for each host its connection asked the proxy for " +
    "(`proxy_requests`: a keep-alive connection may ask for many, `allowed.test` then " +
    "`evil.test`), each judged on its own. Key: (`recording`, `event_id`, `name`, " +
    "`dest_port`).",
  [
    recordingCol,
    col("event_id", "int64", "the net event (`actions.event_id`, table `net`)"),
    col(
      "ts_ns",
      "int64",
      "when: the connect or question; through a proxy, the first request on the connection " +
        "for this host (the connect's own time is `actions.ts_ns`)",
    ),
    opt("session_id", "int32", sessionDoc),
    col("pid", "int32", "the process"),
    col("op", "utf8", "`connect` or `dns`"),
    opt("addr", "utf8", "IP address (connect; through a proxy, the proxy's)"),
    opt("port", "int32", "port (connect; through a proxy, the proxy's)"),
    opt(
      "name",
      "utf8",
      "host name: the DNS question, or for a connect the question whose answer its process " +
        "read last before it gave the connect's address, or the host of a URL of its tool " +
        "call on the same port, or of the process's last DNS question, or for a connect to an HTTP " +
        "proxy a host its connection asked the proxy for (before a URL or DNS name, which " +
        "name the proxy)",
    ),
    opt(
      "name_source",
      "utf8",
      "how `name` is known: `dns` (the question, or the process's last one in the 5 s " +
        "before), `dns_answer` (the question of the process's last DNS answer before the " +
        "connect that gave its address: an A or AAAA record of a `dns_answer` row, read at most " +
        "300 s before the connect), `tool_url` (a URL of its tool call on the same port), `proxy_connection` " +
        "(a request to a proxy on the connect's own connection, in `proxy_requests`: its " +
        "socket is the traced one of the same process and descriptor to that port, first " +
        "used after the connect), `proxy_process` (a guess, said in `problems`: no recorded " +
        "socket is the loopback connect's, and its process's first connection to a proxy in " +
        "the 30 s after it, that no other connect is tied to, asked for that host), " +
        "`proxy_tls` (a guess, said in `problems`: a request to an HTTPS proxy read from a " +
        "TLS connection, which names no socket, whose first request came in the 30 s after " +
        "this connect, its process's last with no socket of its own); null when there is no " +
        "name",
    ),
    opt(
      "dest_port",
      "int32",
      "the port of the destination: the connect's, but through a proxy the port asked of it " +
        "(the absolute-form URL's, else its scheme's: 80 for http, 443 for https, 21 for ftp; " +
        "a CONNECT's), null when the request named none (said in `problems`); null for a " +
        "DNS question. Allowlist entries with a port are matched against it",
    ),
    col(
      "attribution",
      "utf8",
      "`tool`, `agent` or `unexplained` (see `links`)",
    ),
    opt("tool_call_id", "int64", "the tool call it is linked to"),
    col(
      "allowed",
      "bool",
      "the allowlist covers it (through a proxy: the host asked of the proxy, not the " +
        "proxy's address), or it is the agent's own traffic, or a loopback connect (through " +
        "a proxy: a loopback host asked of it, at the port asked for) to a port a traced " +
        "process listened on in the same network namespace (a local proxy or server, e.g. a " +
        "sandbox's bridge: that process's own connections are judged apart)",
    ),
    opt("allowed_by", "utf8", "the allowlist entry or rule that covers it"),
  ] as const,
);

export const injectionTextsTable = table(
  "injection_texts",
  "Instruction-like text found in what tools returned to a model (tool results).",
  [
    recordingCol,
    col("tool_call_id", "int64", "the tool call whose result carried the text"),
    opt("session_id", "int32", sessionDoc),
    opt("result_ns", "int64", "when the result went back to the model"),
    col("patterns", "list_utf8", "names of the patterns that matched"),
    col(
      "excerpt",
      "utf8",
      "the text around the first match (up to 300 characters)",
    ),
  ] as const,
);

export const toolCyclesTable = table(
  "tool_cycles",
  "Runs of the same tool call (same name and input) returning the same failing result, one " +
    "after another in a session: candidate reasoning loops.",
  [
    recordingCol,
    opt("session_id", "int32", sessionDoc),
    col("first_tool_call_id", "int64", "first call of the run"),
    col("last_tool_call_id", "int64", "last call of the run"),
    col("cycles", "int64", "calls in the run"),
    col("name", "utf8", "tool name"),
    col("input", "utf8", "the input repeated"),
    opt("result", "utf8", "the failing result repeated (first 300 characters)"),
    col(
      "failure",
      "utf8",
      "why it counts as failing: `error flag` (the agent's), `exit status N` or `killed by " +
        "signal N` (the kernel's evidence: `tool_outcomes.failed`), `error text`",
    ),
    col(
      "start_ns",
      "int64",
      "request of the LLM call that asked for the first call",
    ),
    opt(
      "end_ns",
      "int64",
      "when the last call's result went back (null if it never did)",
    ),
    opt(
      "threshold_ns",
      "int64",
      "when the run reached the configured number of cycles (the alert time)",
    ),
    col(
      "llm_calls",
      "int64",
      "LLM calls of the session within the run, side calls included",
    ),
    col("input_tokens", "int64", "their input tokens"),
    col("output_tokens", "int64", "their output tokens"),
    opt("cost_usd", "float64", "their cost (null when unpriced)"),
    col(
      "tokens_at_threshold",
      "int64",
      "input + output tokens spent when the alert fired",
    ),
    col(
      "evidence",
      "list_utf8",
      "tool calls, LLM calls and the events of the failing processes",
    ),
  ] as const,
);

export const agentActivityTable = table(
  "agent_activity",
  "Where each session's wall-clock time went: waiting for its model, running tools, blocked " +
    "on another session's output, or none of these.",
  [
    recordingCol,
    col("session_id", "int32", sessionDoc),
    opt("agent", "utf8", "the agent"),
    col(
      "wall_ms",
      "float64",
      "from the agent process's start to its exit (or last event)",
    ),
    col("model_ms", "float64", "time with one of its LLM calls in flight"),
    col(
      "tool_ms",
      "float64",
      "time with one of its tool calls executing (blocked time included)",
    ),
    col(
      "blocked_ms",
      "float64",
      "time its tools spent waiting for another session: polling for a file another session " +
        "then wrote, or retrying a lock another session held",
    ),
    col("busy_ms", "float64", "time thinking or running tools, not blocked"),
    col(
      "waiting_ms",
      "float64",
      "the rest: start-up and its own processing between steps",
    ),
    col("blocked_share", "float64", "blocked_ms / wall_ms"),
    col("waits", "int64", "files it waited for"),
    col(
      "retry_cycles",
      "int64",
      "failed attempts on files another session held",
    ),
  ] as const,
);

export const fileSharingTable = table(
  "file_sharing",
  "Files two sessions of one recording both touched: one waiting for another's output, " +
    "retrying a file another holds, reading or overwriting what another wrote.",
  [
    recordingCol,
    col("path", "utf8", "the file"),
    col(
      "kind",
      "utf8",
      "`waited_for` (probed until the other wrote it), `contended` (exclusive creates failed " +
        "while the other held it), `read_after_write`, `overwrote`",
    ),
    col(
      "session_id",
      "int32",
      "the session that waited, retried, read or overwrote",
    ),
    col("other_session_id", "int32", "the session whose file it was"),
    col("first_ns", "int64", "first event of the interaction"),
    col("last_ns", "int64", "last event of the interaction"),
    col("attempts", "int64", "probes, failed attempts, reads or writes"),
    col(
      "blocked_ms",
      "float64",
      "time blocked (waited_for, contended); 0 otherwise",
    ),
    col("evidence", "list_utf8", "the file events (`file:ID`), first 50"),
  ] as const,
);

export const findingsTable = table(
  "findings",
  "What is dangerous or wasteful, with evidence: one row per finding. Key: (`recording`, " +
    "`finding_id`).",
  [
    recordingCol,
    col("finding_id", "int64", "number of the finding in the recording"),
    opt("session_id", "int32", sessionDoc),
    col(
      "kind",
      "utf8",
      "`sensitive_access`, `exfiltration`, `prompt_injection`, `reasoning_loop`, " +
        "`agent_blocked`, `file_contention`, `shared_file`, `unexplained_activity`, " +
        "`listening_port`, `io_uring_action`, `process_tampering`, `memory_exec`; MCP " +
        "(`analysis/mcp/sql/`): `mcp_tool_poisoning` (instructions in a tool description or " +
        "result), `mcp_server_overreach` (a server acting beyond its call's arguments), " +
        "`mcp_server_unconfigured` (a server its client is not the agent for, or did not start)",
    ),
    col("severity", "utf8", "`info`, `low`, `medium`, `high` or `critical`"),
    col("start_ns", "int64", "start of what it concerns"),
    opt("end_ns", "int64", "end of what it concerns"),
    col(
      "evidence",
      "list_utf8",
      "ids of the rows that show it: `file:ID`, `net:ID`, `process:ID`, `privilege:ID` (see " +
        "`actions`), `tool_call:ID`, `llm_call:ID`, `mcp_call:ID` (see `mcp_calls`), " +
        "`http_exchange:ID` (see `http_exchanges`: what an exfiltration sent in plain HTTP)",
    ),
    col(
      "explanation",
      "utf8",
      "one or two sentences saying what happened and why it matters",
    ),
    col("details", "json", "the numbers and names behind it"),
  ] as const,
);

export const DETECT_INPUT_TABLES = [
  sensitivePatternsTable,
  persistencePatternsTable,
  allowlistTable,
  injectionPatternsTable,
] as const;

export const DETECT_TABLES = [
  sensitiveReadsTable,
  netDestinationsTable,
  injectionTextsTable,
  toolCyclesTable,
  agentActivityTable,
  fileSharingTable,
  findingsTable,
] as const;

export type FindingRow = RowOf<typeof findingsTable>;
export type AgentActivityRow = RowOf<typeof agentActivityTable>;
export type FileSharingRow = RowOf<typeof fileSharingTable>;
export type ToolCycleRow = RowOf<typeof toolCyclesTable>;
