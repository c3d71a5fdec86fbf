/**
 * `mcp_server_overreach` and a server's own state: the memory server
 * (@modelcontextprotocol/server-memory) loads its MEMORY_FILE_PATH file and saves it whole on
 * every call (a read-only open, then a temp file created beside it and renamed onto it), at a
 * path no call's arguments name and the capture cannot read (the environment is not
 * recorded). That store, a path in the server's argv and a file it wrote before its first
 * tools/call are its own state, not overreach; a write of any other kind during a call (an
 * append to ~/.bashrc, a file written in place, the store moved away) still is. A synthetic
 * recording in the real schema, analysed with the real SQL; the file actions are those of
 * server-memory's `loadGraph` and `saveGraph` (src/memory/index.ts).
 */
import assert from "node:assert/strict";
import {
  all,
  mcpPipe,
  rows as r,
  syntheticDb,
  type SyntheticRecording,
} from "../correlate/testing.ts";
import { buildLinksAndFindings } from "../detect/insights.ts";
import { readSql } from "../../kit/sql_runner.ts";
import { SQL_DIR } from "./build.ts";
import { readPatternScreens } from "../detect/pattern_screens.ts";

const ms = (x: number) => x * 1_000_000;
const AGENT = 100;
const SERVER = 201;
const OTHER = 300;
const LAUNCHER = 150;
const HOME = "/home/u";
const STORE = `${HOME}/.local/share/mem/memory.jsonl`;
const LOAD = 524288; // O_RDONLY | O_CLOEXEC, as node's fs.readFile opens
const TEMP = 524865; // O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, as node's fs.writeFile opens
const APPEND = 1089; // O_WRONLY | O_CREAT | O_APPEND
const ENOENT = -2;

type FileRows = ReturnType<typeof r.open>[];
/** loadGraph then saveGraph of one call, from `at` ms */
const loadSave = (at: number, n: number, loadRet = 3): FileRows => [
  r.open(ms(at + 10), SERVER, STORE, { flags: LOAD, ret: loadRet }),
  r.open(ms(at + 20), SERVER, `${STORE}.${n}f3a.tmp`, { flags: TEMP }),
  r.fileOp(ms(at + 30), SERVER, "rename", `${STORE}.${n}f3a.tmp`, 0, STORE),
];

/**
 * Claude Code starting the memory server and calling its tools, each 100 ms long from its
 * `at`; `extra` adds file actions (the probes) and `argv` the server's command line.
 */
function session(
  calls: { at: number; tool: string; args: unknown; file: FileRows }[],
  opts: {
    argv?: string[];
    before?: FileRows;
    other?: FileRows;
    procs?: FileRows;
    /** the server's working directory at its exec */
    cwd?: string;
    /** a launcher between the agent and the server (`npx ...`), pid LAUNCHER */
    launcher?: string[];
  } = {},
): SyntheticRecording {
  const { ask, answer, initialize } = mcpPipe(AGENT, SERVER);
  const parent = opts.launcher ? LAUNCHER : AGENT;
  return {
    process: [
      r.fork(0, AGENT, 1, "claude"),
      r.exec(1, AGENT, 1, ["/opt/claude"]),
      ...(opts.launcher
        ? [r.fork(ms(5), LAUNCHER, AGENT), r.exec(ms(5) + 1, LAUNCHER, AGENT, opts.launcher)]
        : []),
      r.fork(ms(10), SERVER, parent),
      r.exec(
        ms(10) + 1,
        SERVER,
        parent,
        opts.argv ?? ["/usr/bin/node", "/usr/lib/mcp-memory/dist/index.js"],
        opts.cwd,
      ),
      r.fork(ms(15), OTHER, 1, "vim"),
      ...(opts.procs ?? []),
    ],
    file: [...(opts.before ?? []), ...(opts.other ?? []), ...calls.flatMap((k) => k.file)],
    ipc: [
      ...initialize(20, "memory-server"),
      ...calls.flatMap((k, i) => [
        ask(k.at, i + 1, i + 2, "tools/call", { name: k.tool, arguments: k.args }),
        answer(k.at + 100, i + 1, i + 2, { content: [{ type: "text", text: "ok" }] }),
      ]),
    ],
    llm: calls.map((k, i) => r.llm(i + 1, AGENT, ms(k.at - 500))),
    tools: calls.map((k, i) =>
      r.tool(i + 1, i + 1, ms(k.at - 100), null, `mcp__memory__${k.tool}`, k.args, {
        result_llm_call_id: null,
      })
    ),
  };
}

const entities = { entities: [{ name: "Ada", entityType: "person", observations: ["tea"] }] };
const observations = { observations: [{ entityName: "Ada", contents: ["likes chess"] }] };

async function overreach(rec: SyntheticRecording) {
  const { c, close } = await syntheticDb(rec);
  try {
    assert.deepEqual(await buildLinksAndFindings(c), []);
    // the premise: the server's file actions are linked to its calls
    const linked = await all(
      c,
      "SELECT count(*) AS n FROM actions a JOIN links l USING (recording, event_table, event_id) " +
        "WHERE a.event_table = 'file' AND list_contains(l.signals, 'mcp')",
    );
    const during = rec.file!.filter((f) =>
      f.pid !== OTHER && (f.ts_ns as bigint) >= BigInt(ms(1000))
    );
    assert.equal(linked[0].n, BigInt(during.length));
    return await all(
      c,
      "SELECT evidence[1] AS call, severity, explanation FROM findings " +
        "WHERE kind = 'mcp_server_overreach' ORDER BY start_ns",
    );
  } finally {
    close();
  }
}

Deno.test("overreach: the memory server loading and saving its own store on every call is low, said as looking like its own state, never hidden", async () => {
  const findings = await overreach(session([
    // the first call: no store yet (the load fails), the save makes it
    { at: 1000, tool: "create_entities", args: entities, file: loadSave(1000, 1, ENOENT) },
    { at: 2000, tool: "add_observations", args: observations, file: loadSave(2000, 2) },
    { at: 3000, tool: "read_graph", args: {}, file: loadSave(3000, 3).slice(0, 1) },
  ]));
  assert.deepEqual(severities(findings), [
    ["tool_call:1", "low"],
    ["tool_call:2", "low"],
    ["tool_call:3", "low"],
  ]);
  for (const f of findings) {
    assert.match(String(f.explanation), /memory\.jsonl.*\(it looks like the server's own state/);
  }
});

Deno.test("overreach: writes beside the memory server's store are still overreach: an append to ~/.bashrc, a file written in place, the store moved away or also written by another process", async () => {
  const findings = await overreach(session([
    { at: 1000, tool: "create_entities", args: entities, file: loadSave(1000, 1, ENOENT) },
    {
      at: 2000,
      tool: "add_observations",
      args: observations,
      file: [
        ...loadSave(2000, 2),
        r.open(ms(2040), SERVER, `${HOME}/.bashrc`, { flags: APPEND }),
      ],
    },
    // a file only this server uses, but written in place (opened for writing): no store
    {
      at: 3000,
      tool: "read_graph",
      args: {},
      file: [r.open(ms(3010), SERVER, `${HOME}/.cache/mem/log.txt`, { flags: APPEND })],
    },
  ]));
  assert.deepEqual(severities(findings), [
    ["tool_call:1", "low"],
    ["tool_call:2", "medium"],
    ["tool_call:3", "medium"],
  ]);
  assert.match(String(findings[1].explanation), /open \/home\/u\/\.bashrc/);
  assert.match(String(findings[1].explanation), /some of it looks like the server's own state/);
  assert.match(String(findings[2].explanation), /log\.txt/);

  // the "store" moved away, or also written by another process, is no store: every call says it
  const moved = await overreach(session([
    { at: 1000, tool: "create_entities", args: entities, file: loadSave(1000, 1) },
    {
      at: 2000,
      tool: "read_graph",
      args: {},
      file: [r.fileOp(ms(2010), SERVER, "rename", STORE, 0, "/tmp/x/memory.jsonl")],
    },
  ]));
  assert.deepEqual(moved.map((f) => f.call), ["tool_call:1", "tool_call:2"]);
  const shared = await overreach(session(
    [{ at: 1000, tool: "create_entities", args: entities, file: loadSave(1000, 1) }],
    { other: [r.open(ms(500), OTHER, STORE, { flags: 577 })] },
  ));
  assert.deepEqual(shared.map((f) => f.call), ["tool_call:1"]);
});

Deno.test("overreach: a load-and-save of a sensitive path is never the server's store", async () => {
  const key = `${HOME}/.ssh/id_ed25519`;
  const findings = await overreach(session([{
    at: 1000,
    tool: "create_entities",
    args: entities,
    file: [
      r.open(ms(1010), SERVER, key, { flags: LOAD }),
      r.open(ms(1020), SERVER, `${key}.1.tmp`, { flags: TEMP }),
      r.fileOp(ms(1030), SERVER, "rename", `${key}.1.tmp`, 0, key),
    ],
  }]));
  assert.deepEqual(findings.map((f) => [f.call, f.severity]), [["tool_call:1", "high"]]);
});

Deno.test("overreach: a path in the server's argv, and a file it wrote before its first call, are its own state, that path only", async () => {
  const db = "/srv/data/notes.db";
  const findings = await overreach(session(
    [
      {
        at: 1000,
        tool: "create_entities",
        args: entities,
        file: [
          r.open(ms(1010), SERVER, db, { flags: 2 }), // O_RDWR, written in place
          r.open(ms(1020), SERVER, `${HOME}/.mem/cache.json`, { flags: 577 }),
        ],
      },
      {
        at: 2000,
        tool: "read_graph",
        args: {},
        // under the argv's path, and beside the start-up file: not theirs
        file: [
          r.open(ms(2010), SERVER, `${db}/x`, { flags: 577 }),
          r.open(ms(2020), SERVER, `${HOME}/.mem/other.json`, { flags: 577 }),
        ],
      },
    ],
    {
      argv: ["/usr/bin/node", "/usr/lib/mcp-notes/index.js", `--db=${db}`],
      before: [r.open(ms(500), SERVER, `${HOME}/.mem/cache.json`, { flags: 577 })],
    },
  ));
  // its own state is said at low severity, what is beside it medium (its start-up write, on
  // no sensitive or persistence list, is not judged)
  assert.deepEqual(severities(findings), [["tool_call:1", "low"], ["tool_call:2", "medium"]]);
  assert.match(String(findings[1].explanation), /notes\.db\/x.*other\.json/);
  assert.doesNotMatch(String(findings[1].explanation), /own state/);
});

const CHILD = 202;
const BASHRC = `${HOME}/.bashrc`;
const TRUNC = 577; // O_WRONLY | O_CREAT | O_TRUNC
/** a load of `path`, a temp beside it and its rename onto it: an atomic replace */
const replace = (at: number, path: string, pid = SERVER): FileRows => [
  r.open(ms(at + 10), pid, path, { flags: LOAD }),
  r.open(ms(at + 20), pid, `${path}.9c1.tmp`, { flags: TEMP }),
  r.fileOp(ms(at + 30), pid, "rename", `${path}.9c1.tmp`, 0, path),
];
const severities = (fs: Record<string, unknown>[]) => fs.map((f) => [f.call, f.severity]);

Deno.test("overreach: a load-and-replace of a persistence path is never a store: ~/.bashrc, a git hook, ~/.ssh/authorized_keys, agent settings (as on main: medium, except high for the key file)", async () => {
  // made in the recording (its load failed: not there) too, for ~/.bashrc: the lists win
  for (
    const [path, severity, loadRet] of [
      [BASHRC, "medium", 3],
      [BASHRC, "medium", ENOENT],
      ["/w/repo/.git/hooks/pre-commit", "medium", ENOENT],
      [`${HOME}/.ssh/authorized_keys`, "high", 3],
      [`${HOME}/.claude/settings.json`, "medium", 3],
      ["/w/repo/.mcp.json", "medium", ENOENT],
    ] as const
  ) {
    const rows = replace(1000, path);
    rows[0] = r.open(ms(1010), SERVER, path, { flags: LOAD, ret: loadRet });
    const findings = await overreach(session([
      { at: 1000, tool: "create_entities", args: entities, file: rows },
    ]));
    assert.deepEqual(severities(findings), [["tool_call:1", severity]], path);
    assert.match(String(findings[0].explanation), new RegExp(path.replaceAll(".", "\\.")));
  }
});

Deno.test("overreach: the memory server's store there before the recording is said at low severity, as its own store", async () => {
  const findings = await overreach(session([
    { at: 1000, tool: "create_entities", args: entities, file: loadSave(1000, 1) },
    { at: 2000, tool: "read_graph", args: {}, file: loadSave(2000, 2).slice(0, 1) },
    {
      at: 3000,
      tool: "add_observations",
      args: observations,
      file: [...loadSave(3000, 3), r.open(ms(3040), SERVER, `${HOME}/notes.txt`, { flags: 2 })],
    },
  ]));
  // the load alone (read_graph) is its own read of the same file: low too
  assert.deepEqual(severities(findings), [
    ["tool_call:1", "low"],
    ["tool_call:2", "low"],
    ["tool_call:3", "medium"],
  ]);
  assert.match(String(findings[0].explanation), /looks like the server's own state/);
  assert.doesNotMatch(String(findings[0].explanation), /open [^;]*\.tmp/, "its temp is the save's");
  assert.match(String(findings[2].explanation), /notes\.txt/);
});

Deno.test("overreach: a write before the first tool call is excused only for a file made new, not ~/.bashrc appended to nor ~/.ssh/id_rsa chmod'ed; those are said before any tool call", async () => {
  // append to ~/.bashrc at start-up, then during a call (main: medium)
  const appended = await overreach(session(
    [{
      at: 1000,
      tool: "read_graph",
      args: {},
      file: [r.open(ms(1010), SERVER, BASHRC, { flags: APPEND })],
    }],
    { before: [r.open(ms(500), SERVER, BASHRC, { flags: APPEND })] },
  ));
  assert.deepEqual(severities(appended), [["file:0", "medium"], ["tool_call:1", "medium"]]);
  assert.match(String(appended[0].explanation), /before any tool call.*\.bashrc/);
  // chmod of a key at start-up, read in a call (main: high)
  const key = `${HOME}/.ssh/id_rsa`;
  const chmodded = await overreach(session(
    [{
      at: 1000,
      tool: "read_graph",
      args: {},
      file: [r.open(ms(1010), SERVER, key, { flags: LOAD })],
    }],
    { before: [r.fileOp(ms(500), SERVER, "chmod", key)] },
  ));
  assert.deepEqual(severities(chmodded), [["file:0", "high"], ["tool_call:1", "high"]]);
  // a file that was there (a load found it) and then written at start-up is not made new
  const notes = `${HOME}/notes.txt`;
  const existing = await overreach(session(
    [{
      at: 1000,
      tool: "read_graph",
      args: {},
      file: [r.open(ms(1010), SERVER, notes, { flags: TRUNC })],
    }],
    {
      before: [
        r.open(ms(400), SERVER, notes, { flags: LOAD }),
        r.open(ms(500), SERVER, notes, { flags: TRUNC }),
      ],
    },
  ));
  assert.deepEqual(severities(existing), [["tool_call:1", "medium"]]);
  // absent (a failed load) and then made: its own
  const made = await overreach(session(
    [{
      at: 1000,
      tool: "read_graph",
      args: {},
      file: [r.open(ms(1010), SERVER, notes, { flags: TRUNC })],
    }],
    {
      before: [
        r.open(ms(400), SERVER, notes, { flags: LOAD, ret: ENOENT }),
        r.open(ms(500), SERVER, notes, { flags: TRUNC }),
      ],
    },
  ));
  assert.deepEqual(severities(made), [["tool_call:1", "low"]]);
});

Deno.test("overreach: only the server's first exec's arguments after its script are its own, not a child's nor a re-exec's (main: medium)", async () => {
  for (const path of [BASHRC, `${HOME}/notes.txt`]) {
    // a child `cp /tmp/p PATH` during a call
    const child = await overreach(session([{
      at: 1000,
      tool: "read_graph",
      args: {},
      file: [
        r.open(ms(1020), CHILD, "/tmp/p", { flags: LOAD }),
        r.open(ms(1030), CHILD, path, { flags: TRUNC }),
      ],
    }], {
      procs: [
        r.fork(ms(1005), CHILD, SERVER),
        r.exec(ms(1006), CHILD, SERVER, ["/usr/bin/cp", "/tmp/p", path]),
      ],
    }));
    assert.deepEqual(severities(child), [["tool_call:1", "medium"]], path);
    assert.match(String(child[0].explanation), new RegExp(path.replaceAll(".", "\\.")));
    // the server re-executing itself with the path in its arguments
    const reexec = await overreach(session([{
      at: 1000,
      tool: "read_graph",
      args: {},
      file: [r.open(ms(1030), SERVER, path, { flags: APPEND })],
    }], {
      procs: [
        r.exec(ms(50), SERVER, AGENT, ["/usr/bin/node", "/usr/lib/mcp-memory/dist/index.js", path]),
      ],
    }));
    assert.deepEqual(severities(reexec), [["tool_call:1", "medium"]], path);
  }
  // the script itself (argv[1]) is not state given to it
  const script = await overreach(session([{
    at: 1000,
    tool: "read_graph",
    args: {},
    file: [r.open(ms(1030), SERVER, "/usr/lib/mcp-memory/dist/index.js", { flags: TRUNC })],
  }]));
  assert.deepEqual(severities(script), [["tool_call:1", "medium"]]);
});

Deno.test("overreach: what only looks like a server's own state is never hidden: an untouched file replaced whole, a symlink made at start-up and written through, a file unlinked then made with O_EXCL (low at least, medium when not own-looking)", async () => {
  const pkg = "/w/repo/package.json";
  // an untouched project file replaced by temp and rename, no load first: said, low
  const replaced = await overreach(session([{
    at: 1000,
    tool: "read_graph",
    args: {},
    file: [
      r.open(ms(1010), SERVER, `${pkg}.1.tmp`, { flags: TEMP }),
      r.fileOp(ms(1020), SERVER, "rename", `${pkg}.1.tmp`, 0, pkg),
    ],
  }]));
  assert.deepEqual(severities(replaced), [["tool_call:1", "low"]]);
  assert.match(String(replaced[0].explanation), /package\.json/);
  // a symlink made before the first call is no own state (its target may be any file): the
  // symlink and the append through it are medium
  const linked = await overreach(session(
    [{
      at: 1000,
      tool: "read_graph",
      args: {},
      file: [r.open(ms(1010), SERVER, "/tmp/srv/db", { flags: APPEND })],
    }],
    { before: [r.fileOp(ms(500), SERVER, "symlink", BASHRC, 0, "/tmp/srv/db")] },
  ));
  assert.deepEqual(severities(linked), [["tool_call:1", "medium"]]);
  // a file unlinked and then made with O_EXCL was there before: not made new
  const remade = await overreach(session(
    [{
      at: 1000,
      tool: "read_graph",
      args: {},
      file: [r.open(ms(1010), SERVER, "/w/repo/Makefile", { flags: APPEND })],
    }],
    {
      before: [
        r.fileOp(ms(400), SERVER, "unlink", "/w/repo/Makefile"),
        r.open(ms(500), SERVER, "/w/repo/Makefile", { flags: 193 }), // O_WRONLY|O_CREAT|O_EXCL
      ],
    },
  ));
  assert.deepEqual(severities(remade), [["tool_call:1", "medium"]]);
  // ~/.bashrc truncated as the "temporary file" of a save onto a store: no temp, medium
  const mem = `${HOME}/.mem.json`;
  const moved = await overreach(session([{
    at: 1000,
    tool: "read_graph",
    args: {},
    file: [
      r.open(ms(1010), SERVER, mem, { flags: LOAD, ret: ENOENT }),
      r.open(ms(1020), SERVER, BASHRC, { flags: TEMP }),
      r.fileOp(ms(1030), SERVER, "rename", BASHRC, 0, mem),
    ],
  }]));
  assert.deepEqual(severities(moved), [["tool_call:1", "medium"]]);
  assert.match(String(moved[0].explanation), /open \/home\/u\/\.bashrc/);
});

Deno.test("overreach: writes to pseudo files and libraries are judged, their reads and loads are not: /etc/ld.so.preload appended, a write through /proc/self/root, /proc/sys, a .so planted", async () => {
  const one = (file: FileRows, before: FileRows = []) =>
    overreach(session([{ at: 1000, tool: "read_graph", args: {}, file }], { before }));
  for (
    const [path, flags] of [
      ["/etc/ld.so.preload", APPEND],
      [`/proc/self/root${BASHRC}`, APPEND],
      [`/proc/${SERVER}/root/etc/ld.so.preload`, TRUNC],
      ["/proc/sys/kernel/core_pattern", 1], // O_WRONLY
      [`${HOME}/.local/lib/libhook.so`, TRUNC],
      ["/usr/lib/x86_64-linux-gnu/libz.so.1", TRUNC],
    ] as const
  ) {
    const during = await one([r.open(ms(1010), SERVER, path, { flags })]);
    assert.deepEqual(severities(during), [["tool_call:1", "medium"]], path);
    assert.match(String(during[0].explanation), new RegExp(path.replaceAll(".", "\\.")), path);
  }
  // the noise is left out: loading libraries, reading /proc and /sys, /dev/null opened for
  // a child's stdio
  const noise = await one([
    r.open(ms(1010), SERVER, "/usr/lib/x86_64-linux-gnu/libz.so.1", { flags: LOAD }),
    r.open(ms(1011), SERVER, "/proc/self/maps", { flags: LOAD }),
    r.open(ms(1012), SERVER, "/sys/devices/system/cpu/online", { flags: LOAD }),
    r.open(ms(1013), SERVER, "/dev/null", { flags: 2 }), // O_RDWR
    r.open(ms(1014), SERVER, "/dev/tty", { flags: 2 }),
  ]);
  assert.deepEqual(noise, []);
  // before the first call: persistence through a library or /proc/self/root is said
  for (
    const path of [
      "/etc/ld.so.preload",
      `/proc/self/root${BASHRC}`,
      `${HOME}/.local/lib/libhook.so`,
    ]
  ) {
    const early = await one([], [r.open(ms(500), SERVER, path, { flags: TRUNC })]);
    assert.deepEqual(severities(early), [["file:0", "medium"]], path);
  }
});

Deno.test("overreach: a start-up write of a persistence path by a child of the server that never acts during a call is said before any tool call (main: not judged)", async () => {
  const findings = await overreach(session(
    [{ at: 1000, tool: "read_graph", args: {}, file: loadSave(1000, 1, ENOENT) }],
    {
      procs: [
        r.fork(ms(300), CHILD, SERVER),
        r.exec(ms(301), CHILD, SERVER, ["/bin/sh", "-c", "echo x >> ~/.bashrc"]),
        r.exit(ms(600), CHILD, SERVER),
      ],
      before: [r.open(ms(500), CHILD, BASHRC, { flags: APPEND })],
    },
  ));
  assert.deepEqual(severities(findings), [["file:0", "medium"], ["tool_call:1", "low"]]);
  assert.match(String(findings[0].explanation), /before any tool call.*\.bashrc/);
});

Deno.test("overreach: a server whose pid an earlier server had is judged from its own first call: its start-up write of ~/.bashrc is said (main: taken as after the first call of the pid's earlier server)", async () => {
  const first = mcpPipe(AGENT, SERVER, 1000);
  const second = mcpPipe(AGENT, SERVER, 2000);
  const argv = ["/usr/bin/node", "/usr/lib/mcp-memory/dist/index.js"];
  const rec: SyntheticRecording = {
    process: [
      r.fork(0, AGENT, 1, "claude"),
      r.exec(1, AGENT, 1, ["/opt/claude"]),
      r.fork(ms(10), SERVER, AGENT),
      r.exec(ms(10) + 1, SERVER, AGENT, argv),
      r.exit(ms(1200), SERVER, AGENT),
      r.fork(ms(1500), SERVER, AGENT),
      r.exec(ms(1500) + 1, SERVER, AGENT, argv),
    ],
    file: [
      r.open(ms(1600), SERVER, BASHRC, { flags: APPEND }),
      r.open(ms(2010), SERVER, `${HOME}/notes.txt`, { flags: LOAD }),
    ],
    ipc: [
      ...first.initialize(20, "memory-server"),
      first.ask(1000, 1, 2, "tools/call", { name: "read_graph", arguments: {} }),
      first.answer(1100, 1, 2, { content: [{ type: "text", text: "ok" }] }),
      ...second.initialize(1520, "memory-server"),
      second.ask(2000, 1, 2, "tools/call", { name: "read_graph", arguments: {} }),
      second.answer(2100, 1, 2, { content: [{ type: "text", text: "ok" }] }),
    ],
    llm: [r.llm(1, AGENT, ms(500)), r.llm(2, AGENT, ms(1900))],
    tools: [1000, 2000].map((at, i) =>
      r.tool(i + 1, i + 1, ms(at - 100), null, "mcp__memory__read_graph", {}, {
        result_llm_call_id: null,
      })
    ),
  };
  const { c, close } = await syntheticDb(rec);
  try {
    assert.deepEqual(await buildLinksAndFindings(c), []);
    const findings = await all(
      c,
      "SELECT evidence[1] AS call, severity, explanation FROM findings " +
        "WHERE kind = 'mcp_server_overreach' ORDER BY start_ns",
    );
    assert.deepEqual(severities(findings), [["file:0", "medium"], ["tool_call:2", "medium"]]);
    assert.match(String(findings[0].explanation), /before any tool call.*\.bashrc/);
  } finally {
    close();
  }
});

Deno.test("overreach: a home the recording shows beyond /root and /home/* (a service user's, found by git's read of its .gitconfig) has its ~/ paths guarded: its .inputrc replaced is no store, its authorized_keys appended at start-up is said", async () => {
  const jenkins = "/var/lib/jenkins";
  const gitconfig = r.open(ms(100), OTHER, `${jenkins}/.gitconfig`, { flags: LOAD });
  const replaced = (other: FileRows) =>
    overreach(session([{
      at: 1000,
      tool: "create_entities",
      args: entities,
      file: replace(1000, `${jenkins}/.inputrc`),
    }], { other }));
  // main: taken for the server's store (low); the home shown by git's read: medium
  assert.deepEqual(severities(await replaced([gitconfig])), [["tool_call:1", "medium"]]);
  // with nothing showing that home it looks like a store: said, low (the recording's limit)
  assert.deepEqual(severities(await replaced([])), [["tool_call:1", "low"]]);
  const early = await overreach(session(
    [{ at: 1000, tool: "create_entities", args: entities, file: loadSave(1000, 1) }],
    {
      other: [gitconfig],
      before: [r.open(ms(500), SERVER, `${jenkins}/.ssh/authorized_keys`, { flags: APPEND })],
    },
  ));
  assert.deepEqual(severities(early), [["file:0", "high"], ["tool_call:1", "low"]]);
});

Deno.test("overreach: writes that look routine are said at low severity with what they look like, never hidden: /dev/shm semaphores, a process's own /proc settings, a package manager unpacking; /proc/sys, a .so in /dev/shm and a .pth stay medium", async () => {
  const one = (file: FileRows, before: FileRows = []) =>
    overreach(session([{ at: 1000, tool: "read_graph", args: {}, file }], { before }));
  const EXCL = 2241; // O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, as sem_open creates
  for (
    const [rows, reason] of [
      [[
        r.open(ms(1010), SERVER, "/dev/shm/sem.mp-abc123", { flags: EXCL }),
        r.fileOp(ms(1011), SERVER, "unlink", "/dev/shm/sem.mp-abc123", 0),
      ], "shared memory"],
      [[r.open(ms(1010), SERVER, "/proc/self/oom_score_adj", { flags: 1 })], "own settings"],
      [[r.open(ms(1010), SERVER, "/proc/self/task/9/comm", { flags: 1 })], "own settings"],
      [[
        r.open(
          ms(1010),
          SERVER,
          `${HOME}/.cache/uv/archive-v0/x/site-packages/_cffi.cpython-312.so`,
          { flags: TRUNC },
        ),
      ], "unpacking"],
    ] as const
  ) {
    const f = await one([...rows]);
    assert.deepEqual(severities(f), [["tool_call:1", "low"]], rows[0].path as string);
    assert.match(String(f[0].explanation), /writes that look routine: .*/);
    assert.match(String(f[0].explanation), new RegExp(reason.split(" ").at(-1)!));
  }
  // what stays medium: the kernel's settings, a library put in shared memory, a .pth file
  for (
    const path of [
      "/proc/sys/kernel/core_pattern",
      "/dev/shm/payload.so",
      `${HOME}/.local/lib/python3.12/site-packages/evil.pth`,
    ]
  ) {
    const f = await one([r.open(ms(1010), SERVER, path, { flags: TRUNC })]);
    assert.deepEqual(severities(f), [["tool_call:1", "medium"]], path);
  }
  // a routine write beside one that is not: medium
  const mixed = await one([
    r.open(ms(1010), SERVER, "/proc/self/oom_score_adj", { flags: 1 }),
    r.open(ms(1011), SERVER, BASHRC, { flags: APPEND }),
  ]);
  assert.deepEqual(severities(mixed), [["tool_call:1", "medium"]]);
  // before the first call: a package manager unpacking a library into its cache is low, said
  const early = await one([], [
    r.open(ms(500), SERVER, `${HOME}/.cache/uv/archive-v0/x/site-packages/_a.so`, {
      flags: TRUNC,
    }),
  ]);
  assert.deepEqual(severities(early), [["file:0", "low"]]);
  assert.match(String(early[0].explanation), /before any tool call.*routine: a package manager/);
});

Deno.test("overreach: a server never sent a tools/call is not judged, its start-up write of ~/.bashrc neither, by the detector's own SQL (what the build's skip of it without such a call relies on); once called, that write is said", async () => {
  const before = [r.open(ms(500), SERVER, BASHRC, { flags: APPEND })];
  const judged = async (rec: SyntheticRecording) => {
    const { c, close } = await syntheticDb(rec);
    try {
      assert.deepEqual(await buildLinksAndFindings(c), []);
      const query = "SELECT evidence[1] AS call, severity, explanation FROM findings " +
        "WHERE kind = 'mcp_server_overreach' ORDER BY start_ns";
      const built = await all(c, query);
      // the detector run on its own, whether or not the build skipped it
      await c.run("DELETE FROM findings WHERE kind = 'mcp_server_overreach'");
      await c.run(readSql(SQL_DIR, "findings_mcp_overreach"), { ...await readPatternScreens(c) });
      assert.deepEqual(await all(c, query), built);
      return built;
    } finally {
      close();
    }
  };
  const never = session([], { before });
  assert.deepEqual(await judged({ ...never, llm: [r.llm(1, AGENT, ms(900))] }), []);
  const called = await judged(session(
    [{ at: 1000, tool: "read_graph", args: {}, file: loadSave(1000, 1, ENOENT) }],
    { before },
  ));
  assert.deepEqual(severities(called), [["file:0", "medium"], ["tool_call:1", "low"]]);
  assert.match(String(called[0].explanation), /before any tool call.*\.bashrc/);
});

Deno.test("overreach: an atomic write the call asks for into a guarded directory (.github/workflows/ci.yml through ci.yml.X.tmp) is the named file's write; a temp left there, or another file moved onto it, is not (main: medium)", async () => {
  const dir = "/w/repo/.github/workflows";
  const ci = `${dir}/ci.yml`;
  const args = { path: ci, content: "on: push" };
  const asked = await overreach(session([{
    at: 1000,
    tool: "write_file",
    args,
    file: [
      r.open(ms(1010), SERVER, `${ci}.4f1a.tmp`, { flags: TEMP }),
      r.fileOp(ms(1020), SERVER, "rename", `${ci}.4f1a.tmp`, 0, ci),
    ],
  }]));
  assert.deepEqual(asked, []);
  // Python's tempfile in the same directory: a name of its own, made with O_EXCL
  const excl = await overreach(session([{
    at: 1000,
    tool: "write_file",
    args,
    file: [
      r.open(ms(1010), SERVER, `${dir}/tmpk2j3x9`, { flags: 194 | 524288 }), // O_RDWR|O_CREAT|O_EXCL
      r.fileOp(ms(1020), SERVER, "rename", `${dir}/tmpk2j3x9`, 0, ci),
    ],
  }]));
  assert.deepEqual(excl, []);
  // a temp left there (never renamed), and another workflow truncated and moved onto ci.yml
  const left = await overreach(session([{
    at: 1000,
    tool: "write_file",
    args,
    file: [
      r.open(ms(1010), SERVER, ci, { flags: TRUNC }),
      r.open(ms(1020), SERVER, `${ci}.4f1a.tmp`, { flags: TEMP }),
    ],
  }]));
  assert.deepEqual(severities(left), [["tool_call:1", "medium"]]);
  assert.match(String(left[0].explanation), /ci\.yml\.4f1a\.tmp/);
  const moved = await overreach(session([{
    at: 1000,
    tool: "write_file",
    args,
    file: [
      r.open(ms(1010), SERVER, `${dir}/deploy.yml`, { flags: TEMP }),
      r.fileOp(ms(1020), SERVER, "rename", `${dir}/deploy.yml`, 0, ci),
    ],
  }]));
  assert.deepEqual(severities(moved), [["tool_call:1", "medium"]]);
  assert.match(String(moved[0].explanation), /deploy\.yml -> /);
  // a temp renamed onto a workflow the call does not name stays judged as itself
  const elsewhere = await overreach(session([{
    at: 1000,
    tool: "write_file",
    args,
    file: [
      r.open(ms(1010), SERVER, `${dir}/release.yml.1.tmp`, { flags: TEMP }),
      r.fileOp(ms(1020), SERVER, "rename", `${dir}/release.yml.1.tmp`, 0, `${dir}/release.yml`),
    ],
  }]));
  assert.deepEqual(severities(elsewhere), [["tool_call:1", "medium"]]);
});

Deno.test("overreach: a start-up write through /proc/PID/cwd is judged as the path it names, or as a place unknown when the recording does not show that directory (main: not judged)", async () => {
  const early = (path: string) =>
    overreach(session(
      [{ at: 1000, tool: "read_graph", args: {}, file: loadSave(1000, 1, ENOENT) }],
      { cwd: HOME, before: [r.open(ms(500), SERVER, path, { flags: APPEND })] },
    ));
  for (
    const [path, severity] of [
      ["/proc/self/cwd/.bashrc", "medium"],
      [`/proc/${SERVER}/cwd/.ssh/authorized_keys`, "high"],
      [`/proc/thread-self/cwd/.profile`, "medium"],
      // a pid the recording does not show: its working directory is unknown
      ["/proc/4242/cwd/notes.txt", "medium"],
    ] as const
  ) {
    const f = await early(path);
    assert.deepEqual(severities(f), [["file:0", severity], ["tool_call:1", "low"]], path);
    assert.match(String(f[0].explanation), /before any tool call/);
    assert.match(String(f[0].explanation), new RegExp(path.replaceAll(".", "\\.")));
  }
  assert.match(
    String((await early("/proc/self/cwd/.bashrc"))[0].explanation),
    /\(that is \/home\/u\/\.bashrc\)/,
  );
  assert.match(
    String((await early("/proc/4242/cwd/notes.txt"))[0].explanation),
    /a working directory the recording does not show/,
  );
  // the server changed directory first: the path is under its new one
  const moved = await overreach(session(
    [{ at: 1000, tool: "read_graph", args: {}, file: loadSave(1000, 1, ENOENT) }],
    {
      before: [
        r.fileOp(ms(400), SERVER, "chdir", HOME),
        r.open(ms(500), SERVER, "/proc/self/cwd/.bashrc", { flags: APPEND }),
      ],
    },
  ));
  assert.deepEqual(severities(moved), [["file:1", "medium"], ["tool_call:1", "low"]]);
  // a working directory shown, a path on no list: a start-up write as any other (not judged)
  assert.deepEqual(severities(await early("/proc/self/cwd/cache.json")), [["tool_call:1", "low"]]);
});

Deno.test("overreach: the process that launched the server (npx) is judged as the server: its start-up write of ~/.bashrc and its write during a call are said, a library it unpacks into its cache is low (main: never judged)", async () => {
  const npx = ["/usr/bin/node", "/usr/lib/node_modules/npm/bin/npx-cli.js", "-y", "mcp-memory"];
  const findings = await overreach(session(
    [
      { at: 1000, tool: "read_graph", args: {}, file: loadSave(1000, 1, ENOENT) },
      {
        at: 2000,
        tool: "read_graph",
        args: {},
        file: [
          ...loadSave(2000, 2),
          r.open(ms(2050), LAUNCHER, `${HOME}/.profile`, { flags: APPEND }),
        ],
      },
    ],
    {
      launcher: npx,
      before: [r.open(ms(8), LAUNCHER, BASHRC, { flags: APPEND })],
    },
  ));
  assert.deepEqual(severities(findings), [
    ["file:0", "medium"],
    ["tool_call:1", "low"],
    ["tool_call:2", "medium"],
  ]);
  assert.match(String(findings[0].explanation), /before any tool call.*\.bashrc/);
  assert.match(String(findings[2].explanation), /\.profile/);
  const unpacked = await overreach(session(
    [{ at: 1000, tool: "read_graph", args: {}, file: loadSave(1000, 1, ENOENT) }],
    {
      launcher: npx,
      before: [
        r.open(ms(8), LAUNCHER, `${HOME}/.cache/uv/archive-v0/x/site-packages/_a.so`, {
          flags: TRUNC,
        }),
      ],
    },
  ));
  assert.deepEqual(severities(unpacked), [["file:0", "low"], ["tool_call:1", "low"]]);
  assert.match(String(unpacked[0].explanation), /routine: a package manager/);
});
