/**
 * The tables correlation adds to an analysed recording (`analysis.duckdb`), declared once with
 * the column kit of `kit/columns.ts`: `lineage` (every process placed in an agent's tree),
 * `sessions` (one per agent process), `actions` (every raw process, file, net and privilege
 * event with a stable id and its lineage: a view, computed when read), `tool_terms` (what each tool call's input names), `tool_windows`
 * (when each tool call could act), `links` (each action's tool call, or why it has none) and
 * `tool_outcomes` (how each tool call's command ended: its process's exit status or signal).
 *
 * Their SQL is in `sql/<table>.sql`; `SCHEMA.md` beside this file is generated from these
 * declarations (`deno task correlate:doc`), and a test checks it is current.
 */
import { col, opt, type RowOf, table, view } from "../../kit/columns.ts";
import { recordingCol } from "../schema.ts";

const sessionDoc = "the agent session: the pid of the agent process (the one making LLM calls)";

export const lineageTable = table(
  "lineage",
  "One row per traced process incarnation (as in `processes`), placed in an agent's process " +
    "tree: the agent process itself, its descendants through fork and exec (shells, " +
    "interpreters, pipelines), the launchers it was started through, or outside every agent.",
  [
    recordingCol,
    col("pid", "int32", "process id"),
    opt("start_ns", "int64", "start of this incarnation (`processes.start_ns`)"),
    opt("end_ns", "int64", "exit time, null if it outlived the capture"),
    opt("ppid", "int32", "parent process id"),
    opt("parent_start_ns", "int64", "start of the parent's incarnation (null when not traced)"),
    opt("session_id", "int32", sessionDoc + "; null for processes outside every session"),
    col(
      "role",
      "utf8",
      "`agent` (makes the LLM calls), `descendant` (forked from it, at any depth), `helper` " +
        "(a child the agent started of its own accord, outside every turn, running its own " +
        "program, and what that forked outside every turn: sql/agent_helpers.sql; the agent's, " +
        "not a tool's), `launcher` " +
        "(an ancestor of exactly one agent, e.g. the npm wrapper or the hosts namespace shell) " +
        "or `outside` (the capture's harness, or ancestors shared by several agents)",
    ),
    opt("depth", "int32", "generations below the agent process: 0 for it, 1 for its children"),
    opt(
      "branch_pid",
      "int32",
      "descendants: the agent's child this process descends from (itself at depth 1) — the " +
        "unit that is attributed to one tool call (`links` splits a shell the agent gives its " +
        "commands on its input into its children's subtrees instead: sql/shell_units.sql)",
    ),
    opt("branch_start_ns", "int64", "start of that child's incarnation"),
    opt("chain", "list_utf8", "program names from the agent process down to this one"),
    opt("exe", "utf8", "the file last executed"),
    opt("argv", "list_utf8", "arguments of the last exec"),
    opt("cwd", "utf8", "working directory at the last exec"),
    opt("exit_code", "int32", "exit status"),
  ] as const,
);

export const sessionsTable = table(
  "sessions",
  "One row per agent session: an agent process that made LLM calls, with its totals.",
  [
    recordingCol,
    col("session_id", "int32", sessionDoc),
    opt(
      "agent",
      "utf8",
      "the agent process's agent: `claude-code`, `gemini-cli`, `codex`, ..., another by its " +
        "User-Agent's product or its program's name (`copilot`), or null (see llm_calls.agent)",
    ),
    opt("start_ns", "int64", "the agent process's start"),
    opt("end_ns", "int64", "its exit, or null"),
    opt("cwd", "utf8", "its working directory at exec"),
    opt("launcher_pid", "int32", "the outermost launcher process of this session, if any"),
    col("llm_calls", "int64", "LLM calls it made"),
    col("main_calls", "int64", "main (conversation) calls among them"),
    col("tool_calls", "int64", "tool calls its models asked for"),
    col("input_tokens", "int64", "input tokens over all its calls (as reported)"),
    col("output_tokens", "int64", "output tokens over all its calls"),
    opt("cost_usd", "float64", "cost of its calls; null when none is priced"),
    opt("models", "list_utf8", "models that answered, in order of first use"),
    opt("prompt", "utf8", "the user's request: the first main call's new user text"),
    col("processes", "int64", "its processes: the agent and all descendants"),
  ] as const,
);

export const conversationsTable = table(
  "conversations",
  "One row per conversation with a model (`llm_calls.conversation_id`): a session's main " +
    "conversation (across its compactions and the processes that resumed it), a sub-agent's " +
    "(a fork's too), a side request's; with its totals and the tool call that started it, " +
    "when one did.",
  [
    recordingCol,
    col("conversation_id", "int64", "the conversation: the `llm_call_id` of its first call"),
    col(
      "session_id",
      "int32",
      "the session (the agent process) whose calls it holds: of its first call, when a new " +
        "process resumed it",
    ),
    col(
      "processes",
      "int64",
      "processes whose calls it holds: more than one when a new process resumed it " +
        "(`llm_calls.conversation_via` `resumed`)",
    ),
    col(
      "compactions",
      "int64",
      "times its history started again from its summary (`llm_calls.conversation_via` " +
        "`summary`): its totals are those of the whole session's work across them",
    ),
    opt("start_ns", "int64", "its first request"),
    opt("end_ns", "int64", "the end of its last answer"),
    col("llm_calls", "int64", "its calls"),
    col("main_calls", "int64", "main calls among them"),
    col(
      "failed_calls",
      "int64",
      "calls answered with an error: `outcome` `error` (an error status, or an error in the " +
        "stream after a 200) or a status of 400 or more whose body was cut",
    ),
    col("tool_calls", "int64", "tool calls its model asked for"),
    col("input_tokens", "int64", "input tokens over its calls (as reported)"),
    col("output_tokens", "int64", "output tokens over its calls"),
    opt("cost_usd", "float64", "cost of its calls; null when none is priced"),
    opt("prompt", "utf8", "its first main call's new user text"),
    opt(
      "parent_tool_call_id",
      "int64",
      "the tool call that started it (a sub-agent's task: Claude Code's Agent/Task tool and " +
        "the like): a tool call of another conversation of the session, asked for in the hour " +
        "before this one began, with a text argument (12 characters or more) that its prompt " +
        "holds, still open when it began or whose text is at least half the prompt (the " +
        "longest, then the latest); null for none",
    ),
    opt("parent_conversation_id", "int64", "the conversation of `parent_tool_call_id`"),
  ] as const,
);

export const actionsTable = view(
  "actions",
  "Every raw `process`, `file`, `net` and `privilege` event with a stable id and its place in the " +
    "lineage: the actions that correlation explains. Key: (`recording`, `event_table`, " +
    "`event_id`). A view over the raw tables and `lineage`: its rows are made when it is read " +
    "(in no particular order; order by `ts_ns`), nothing of it is stored.",
  [
    recordingCol,
    col(
      "event_table",
      "utf8",
      "`process`, `file`, `net` or `privilege`: the raw table the event is in",
    ),
    col(
      "event_id",
      "int64",
      "the event's row number in that table of the recording, from 0, in load order (the " +
        "order of the Arrow file)",
    ),
    col("ts_ns", "int64", "event time (ns since the epoch)"),
    col("pid", "int32", "process id"),
    col("tid", "int32", "thread id"),
    col(
      "op",
      "utf8",
      "`fork`, `exec`, `exit`; `open`, `unlink`, `rename`, `mkdir`, `rmdir`, `chdir`, `link`, " +
        "`symlink`, `chmod`, `chown`, `truncate`, `utimes`, `memfd_create`, `chroot`; `connect`, " +
        "`bind`, `listen`, `accept`, `dns`; `ptrace`, `process_vm_writev`, `process_vm_readv`, " +
        "`setuid` and the other set*id calls (see the raw tables)",
    ),
    opt("path", "utf8", "file: the absolute path; exec: the file executed"),
    opt("path2", "utf8", "rename: the target path; link, symlink: the new name"),
    opt("raw_path", "utf8", "file: the path as the program passed it"),
    opt("flags", "int64", "file: open flags (O_*), unlinkat/renameat2 flags"),
    opt("argv", "list_utf8", "exec: the arguments"),
    opt(
      "addr",
      "utf8",
      "net: IP address or unix socket path (connect, dns: where to; bind: asked for; " +
        "listen: the local address; accept: the peer)",
    ),
    opt("port", "int32", "net: port, as `addr`"),
    opt("qname", "utf8", "dns: the question name"),
    opt("family", "utf8", "net: `inet`, `inet6`, `unix`, ..."),
    opt(
      "ret",
      "int64",
      "file/net/privilege: the result (negative errno on failure); exit: the status",
    ),
    col(
      "via",
      "utf8",
      "how the process asked for it: `syscall`, or `io_uring` (a request the kernel carried " +
        "out from an io_uring instance)",
    ),
    opt(
      "target_pid",
      "int32",
      "privilege: the other process (ptrace, process_vm_*, a signal's target; clone: the new one)",
    ),
    col(
      "from_memory",
      "bool",
      "exec: the file executed has no name in any directory (a memfd, a deleted file): code " +
        "run from memory",
    ),
    col(
      "ok",
      "bool",
      "the call succeeded (a non-blocking connect in progress counts); exit: status 0",
    ),
    col(
      "written",
      "bool",
      "file: it changed the file system (open for writing, creating or truncating, rename, " +
        "unlink, mkdir, rmdir, link, symlink, chmod, chown, truncate, utimes; not of a " +
        "pseudo-file under /dev (but /dev/shm, a real tmpfs), /proc or /sys, judged for a link or symlink by its new name " +
        "`path2`, not the file it points to): the `changes_files` macro, as " +
        "`file_events.written`",
    ),
    opt("session_id", "int32", "the session of the process (see `lineage`)"),
    col("role", "utf8", "the process's role in `lineage` (`outside` if it is not there)"),
    opt("branch_pid", "int32", "the process's branch (see `lineage`)"),
    opt("branch_start_ns", "int64", "start of that branch"),
    opt("proc_start_ns", "int64", "start of the process incarnation the event belongs to"),
    col("summary", "utf8", "one line saying what happened, e.g. `open /etc/passwd (read)`"),
  ] as const,
);

export const toolTermsTable = table(
  "tool_terms",
  "What each tool call's input names, for argument matching: its command strings (quotes " +
    "and backslashes removed, white space collapsed), file paths, URLs and host names. " +
    "Extracted from the JSON arguments by key (`command`/`cmd`, `*path*`, `url`, ...), from " +
    "the words of commands, and from `*** Add/Update/Delete File:` lines of patches.",
  [
    recordingCol,
    col("tool_call_id", "int64", "the tool call"),
    col("kind", "utf8", "`command`, `path`, `url` or `host`"),
    col("term", "utf8", "the text: normalised command, path as written, URL, or host name"),
    opt(
      "suffix",
      "utf8",
      "relative paths: what an absolute path must end with (`/` + the path without `./`, " +
        "`~/` or leading `../`)",
    ),
    opt("basename", "utf8", "paths: the last component"),
    opt("host", "utf8", "URLs: the host"),
    opt("port", "int32", "URLs: the port, explicit or the scheme's default"),
    col("source", "utf8", "where in the input it was found: the JSON key, or `patch`"),
    col(
      "in_command",
      "bool",
      "found among the words of a command (its effects are the command's processes'), not " +
        "as an argument of its own (which the agent itself may act on, e.g. a Read tool)",
    ),
  ] as const,
);

export const toolWindowsTable = table(
  "tool_windows",
  "When each tool call could act: from the first output of the LLM answer that asked for it " +
    "(agents run a tool as soon as its call is streamed) to the start of the request that " +
    "carried its result back; without a result, to the session's next main request; without " +
    "either, for the configured window. A tool search (`tool_calls.kind` `tool_search`) has " +
    "none: it searches the agent's own tool definitions and acts on nothing outside it.",
  [
    recordingCol,
    col("tool_call_id", "int64", "the tool call"),
    col("llm_call_id", "int64", "the LLM call whose answer asked for it"),
    col("session_id", "int32", sessionDoc),
    col("name", "utf8", "tool name"),
    col("start_ns", "int64", "window start"),
    col("end_ns", "int64", "window end"),
    col("end_kind", "utf8", "what ended it: `result`, `next_call` or `window`"),
    col("parallel", "int32", "tool calls asked for in the same answer (1 when alone)"),
  ] as const,
);

export const linksTable = view(
  "links",
  "One row per action (every row of `actions`): the tool call that caused it, the signals " +
    "that say so and a confidence, or why no tool call explains it. Key: (`recording`, " +
    "`event_table`, `event_id`). A view: the agent's own actions that no tool call explains " +
    "(`agent`) are made from `actions` when read, the other rows are stored; in no particular " +
    "order.",
  [
    recordingCol,
    col("event_table", "utf8", "`process`, `file`, `net` or `privilege`"),
    col("event_id", "int64", "the event (see `actions.event_id`)"),
    opt("session_id", "int32", sessionDoc),
    opt(
      "tool_call_id",
      "int64",
      "the tool call that best explains the action; also kept, with its low confidence, for " +
        "a weak candidate that does not reach the threshold",
    ),
    col(
      "attribution",
      "utf8",
      "`tool` (caused by `tool_call_id`, confidence at or above the threshold), `agent` (the " +
        "agent process's own activity), `mcp_server` (an MCP server the agent started from its " +
        "configuration, outside the calls it served: see `mcp_servers`), `unexplained` (a " +
        "process of the session that no tool call asked for) or `outside` (no session)",
    ),
    col(
      "signals",
      "list_utf8",
      "what matched: `temporal` (within the tool call's window), `lineage` (inherited " +
        "through the process tree from the branch the tool call started), `argument:command` " +
        "(the argv holds the whole command), `argument:argv` (the argv is a stage of the " +
        "command), `argument:path`, `argument:basename`, `argument:url`, `argument:host`, " +
        "`argument:port`, `exclusive` (the only unmatched branch of a command that no other " +
        "branch matched), `mcp` (done by an MCP server, or a process it started, while it " +
        "served the `tools/call` this tool call caused: see `mcp_calls`), `mcp_server` (done " +
        "by a configured MCP server's process branch outside its calls), `mcp_config` (that " +
        "server's name in the agent's configuration is known: `matched`)",
    ),
    col("confidence", "float64", "in [0, 1]: how sure the link is; 0 without a candidate"),
    opt("matched", "utf8", "the tool input term that matched, if any"),
  ] as const,
);

export const toolOutcomesTable = table(
  "tool_outcomes",
  "One row per tool call (every row of `tool_calls`): how the command it ran ended, by the " +
    "kernel's evidence — the exit status or the terminating signal of the process it started " +
    "(the agent's child that `links` attributes to it: the top of its process subtree; when " +
    "that process was not given the command — a long-lived shell given its commands on its " +
    "input, as GitHub Copilot CLI runs them, whose own end is no command's —, what that shell " +
    "forked in the call's window). " +
    "Gemini CLI, Qwen Code and opencode send a failed command's result back without an error " +
    "flag (`tool_calls.result_is_error` false), so this is the place to see that it failed. " +
    "Join on (`recording`, `tool_call_id`).",
  [
    recordingCol,
    col("tool_call_id", "int64", "the tool call"),
    opt("session_id", "int32", sessionDoc),
    col("name", "utf8", "tool name"),
    col(
      "outcome",
      "utf8",
      "`exited N` (its process exited with status N), `killed SIGNAME` (a signal ended it: " +
        "`killed SIGKILL`), `still running at end` (it had not exited when the capture " +
        "ended), `unknown` (a long-lived shell that was alive during the call forked nothing in " +
        "its window: a builtin such as `echo`, or a command it did not run) or `no process` " +
        "(no process is attributed to it: a tool the agent runs " +
        "itself — read, write, edit, fetch, search —, an MCP tool its server ran, or a " +
        "command whose process was not traced or linked). Of several processes started for it, that of the most confident " +
        "link decides; of equally confident ones, a signal before a non-zero exit before " +
        "one still running before a zero exit",
    ),
    opt(
      "failed",
      "bool",
      "the kernel says it failed: it exited non-zero or was killed by a signal; false when " +
        "it exited 0; null for `still running at end`, `unknown` and `no process`",
    ),
    col(
      "processes",
      "int64",
      "processes it started: the agent's children attributed to it, or the children a " +
        "long-lived shell forked in its window",
    ),
    opt("pid", "int32", "the process that decides the outcome"),
    opt("start_ns", "int64", "its start (`processes.start_ns`)"),
    opt("end_ns", "int64", "its exit; null when still running at the end"),
    opt("exit_code", "int32", "its exit status (`processes.exit_code`)"),
    opt("exit_signal", "int32", "the signal that ended it (`processes.exit_signal`)"),
    opt(
      "killed_by_pid",
      "int32",
      "the traced process that sent that signal (`processes.killed_by_pid`), when recorded",
    ),
    col(
      "evidence",
      "list_utf8",
      "the kernel events behind it (`process:ID`, see `actions`): the exec of each process " +
        "started for it (its fork when it never executed anything), then the deciding " +
        "process's exit",
    ),
  ] as const,
);

/** The tables correlation builds, in build order. */
export const CORRELATE_TABLES = [
  lineageTable,
  sessionsTable,
  conversationsTable,
  actionsTable,
  toolTermsTable,
  toolWindowsTable,
  linksTable,
  toolOutcomesTable,
] as const;

export type LineageRow = RowOf<typeof lineageTable>;
export type SessionRow = RowOf<typeof sessionsTable>;
export type ConversationRow = RowOf<typeof conversationsTable>;
export type ActionRow = RowOf<typeof actionsTable>;
export type ToolTermRow = RowOf<typeof toolTermsTable>;
export type ToolWindowRow = RowOf<typeof toolWindowsTable>;
export type LinkRow = RowOf<typeof linksTable>;
export type ToolOutcomeRow = RowOf<typeof toolOutcomesTable>;
