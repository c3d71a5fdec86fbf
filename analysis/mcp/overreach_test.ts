/**
 * `mcp_server_overreach` and atomic writes: a server that writes a file the call names through a
 * temporary file renamed over it (server-filesystem's write_file over an existing file and its
 * edit_file: `F.<hex>.tmp`, then rename onto F) did what it was asked, while a rename that moves
 * a named file somewhere not named, or moves a file the server did not create onto a named path,
 * is still overreach, said with both its paths. A real capture (Gemini CLI 0.61.0 with the
 * pinned server-filesystem, tests/fixtures/mcp_atomic_write) and a synthetic recording in the
 * real schema, analysed with the real SQL.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { filePath } from "../../kit/file_path.ts";
import { all, rows as r, syntheticDb, type SyntheticRecording } from "../correlate/testing.ts";
import { buildLinksAndFindings } from "../detect/insights.ts";
import { analysedCopy } from "../testing.ts";
import { withDb } from "../analysed_db.ts";
import { queryRows } from "../../kit/sql_runner.ts";

Deno.test("overreach (real capture): server-filesystem's write_file over a file and edit_file write through a temp file renamed onto it, which is what they were asked", async () => {
  const fixture = filePath("../../tests/fixtures/mcp_atomic_write", import.meta.url);
  const s = await analysedCopy(fixture, { prefix: "sl-mcp-atomic-" });
  try {
    await withDb(s.db, async (c) => {
      // the recording is what the test says: each write is a temp file created, then renamed
      // onto the named file, by the server while it served that call
      const renames = await queryRows(
        c,
        `SELECT m.tool, regexp_replace(a.path, '^.*/', '') AS src,
           regexp_replace(a.path2, '^.*/', '') AS dst,
           EXISTS (SELECT 1 FROM actions o WHERE o.recording = a.recording AND o.pid = a.pid
             AND o.op = 'open' AND o.path = a.path AND (o.flags & 64) <> 0) AS created
         FROM actions a
         JOIN links l USING (recording, event_table, event_id)
         JOIN mcp_tool_links k ON k.recording = l.recording AND k.tool_call_id = l.tool_call_id
         JOIN mcp_calls m ON m.recording = k.recording AND m.mcp_call_id = k.mcp_call_id
         WHERE a.op = 'rename' AND list_contains(l.signals, 'mcp') AND a.pid = m.server_pid
         ORDER BY a.ts_ns`,
      );
      assert.deepEqual(
        renames.map((
          x,
        ) => [x.tool, String(x.src).replace(/[0-9a-f]{32}/, "HEX"), x.dst, x.created]),
        [
          ["write_file", "notes.txt.HEX.tmp", "notes.txt", true],
          ["edit_file", "plan.txt.HEX.tmp", "plan.txt", true],
          ["move_file", "draft.txt", "final.txt", false],
        ],
      );
      const findings = await queryRows(
        c,
        "SELECT kind, explanation FROM findings WHERE kind = 'mcp_server_overreach'",
      );
      assert.deepEqual(findings, [], "no call did more than it was asked");
    }, { readOnly: true });
  } finally {
    await Deno.remove(dirname(s.dir), { recursive: true });
  }
});

const ms = (x: number) => x * 1_000_000;
const AGENT = 100;
const SERVER = 201;
const O_CREAT_WRITE = 577; // O_WRONLY | O_CREAT | O_TRUNC

/** Claude Code starting server `files` and calling three of its tools (each 100 ms long). */
function recording(): SyntheticRecording {
  const ask = (at: number, seq: number, id: number, method: string, params: unknown) =>
    r.ipcWrite(ms(at), AGENT, 1000, SERVER, seq, { id, method, params });
  const answer = (at: number, seq: number, id: number, result: unknown) =>
    r.ipcWrite(ms(at), SERVER, 1001, AGENT, seq, { id, result });
  const call = (at: number, seq: number, id: number, name: string, args: unknown) => [
    ask(at, seq, id, "tools/call", { name, arguments: args }),
    answer(at + 100, seq, id, { content: [{ type: "text", text: "ok" }] }),
  ];
  const noResult = { result_llm_call_id: null };
  return {
    process: [
      r.fork(0, AGENT, 1, "claude"),
      r.exec(1, AGENT, 1, ["/opt/claude"]),
      r.fork(ms(10), SERVER, AGENT),
      r.exec(ms(10) + 1, SERVER, AGENT, ["node", "/opt/srv/server.js"]),
    ],
    file: [
      // 1: an atomic write of /w/a.txt: a temp file made, then renamed over it
      r.open(ms(1010), SERVER, "/w/a.txt.1f2e.tmp", { flags: O_CREAT_WRITE }),
      r.fileOp(ms(1020), SERVER, "rename", "/w/a.txt.1f2e.tmp", 0, "/w/a.txt"),
      // 2: asked to read /w/b.txt, the server moves it out of the named place
      r.open(ms(2010), SERVER, "/w/b.txt"),
      r.fileOp(ms(2020), SERVER, "rename", "/w/b.txt", 0, "/tmp/out/b.txt"),
      // 3: asked to write /w/c.txt, the server moves a file it did not make onto it
      r.fileOp(ms(3010), SERVER, "rename", "/srv/keep/state.db", 0, "/w/c.txt"),
    ],
    ipc: [
      ask(20, 0, 1, "initialize", { protocolVersion: "2025-06-18", capabilities: {} }),
      answer(30, 0, 1, {
        protocolVersion: "2025-06-18",
        serverInfo: { name: "files", version: "1" },
      }),
      ...call(1000, 1, 2, "write_file", { path: "/w/a.txt", content: "x" }),
      ...call(2000, 2, 3, "read_file", { path: "/w/b.txt" }),
      ...call(3000, 3, 4, "write_file", { path: "/w/c.txt", content: "y" }),
    ],
    llm: [r.llm(1, AGENT, ms(500)), r.llm(2, AGENT, ms(1500)), r.llm(3, AGENT, ms(2500))],
    tools: [
      r.tool(
        1,
        1,
        ms(900),
        null,
        "mcp__files__write_file",
        { path: "/w/a.txt", content: "x" },
        noResult,
      ),
      r.tool(2, 2, ms(1900), null, "mcp__files__read_file", { path: "/w/b.txt" }, noResult),
      r.tool(
        3,
        3,
        ms(2900),
        null,
        "mcp__files__write_file",
        { path: "/w/c.txt", content: "y" },
        noResult,
      ),
    ],
  };
}

Deno.test("overreach: a temp file renamed onto the named path is asked for; a named file moved out, or a file not made in the call moved in, is not", async () => {
  const { c, close } = await syntheticDb(recording());
  try {
    assert.deepEqual(await buildLinksAndFindings(c), []);
    // every file action is the server's during its call (signal mcp): the test's premise
    assert.deepEqual(
      await all(
        c,
        "SELECT l.tool_call_id, count(*) AS n FROM actions a JOIN links l " +
          "USING (recording, event_table, event_id) WHERE a.event_table = 'file' " +
          "AND list_contains(l.signals, 'mcp') GROUP BY ALL ORDER BY 1",
      ),
      [[1n, 2n], [2n, 2n], [3n, 1n]].map(([tool_call_id, n]) => ({ tool_call_id, n })),
    );
    const findings = await all(
      c,
      "SELECT evidence[1] AS call, explanation FROM findings " +
        "WHERE kind = 'mcp_server_overreach' ORDER BY start_ns",
    );
    assert.deepEqual(findings.map((f) => f.call), ["tool_call:2", "tool_call:3"]);
    // each says where the file went, not only where it came from
    assert.match(String(findings[0].explanation), /rename \/w\/b\.txt -> \/tmp\/out\/b\.txt/);
    assert.doesNotMatch(String(findings[0].explanation), /open \/w\/b\.txt/);
    assert.match(String(findings[1].explanation), /rename \/srv\/keep\/state\.db -> \/w\/c\.txt/);
  } finally {
    close();
  }
});

const TEMP_FLAGS = 524865; // O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, as server-filesystem opens its temps
const O_CREAT_RDWR = 66; // O_RDWR | O_CREAT: opens an existing file as it is
const CHILD = 202;
const HOME = "/home/u";

/**
 * Probes of the atomic-write excuse, each a write_file call of its own (100 ms long, from
 * `at`): the file actions the server (or its child) takes while serving it.
 */
function probes(): SyntheticRecording {
  const cases: { at: number; path: string; file: (at: number) => ReturnType<typeof r.open>[] }[] = [
    // 0: a real atomic write, as server-filesystem does it: not overreach
    {
      at: 1000,
      path: "/w/a.txt",
      file: (at) => [
        r.open(ms(at + 10), SERVER, "/w/a.txt.9c.tmp", { flags: TEMP_FLAGS }),
        r.fileOp(ms(at + 20), SERVER, "rename", "/w/a.txt.9c.tmp", 0, "/w/a.txt"),
      ],
    },
    // 1: the reviewer's probe: credentials read, opened O_CREAT|O_RDWR, moved onto the target
    {
      at: 2000,
      path: "/w/b.txt",
      file: (at) => [
        r.open(ms(at + 10), SERVER, `${HOME}/.aws/credentials`),
        r.open(ms(at + 20), SERVER, `${HOME}/.aws/credentials`, { flags: O_CREAT_RDWR }),
        r.fileOp(ms(at + 30), SERVER, "rename", `${HOME}/.aws/credentials`, 0, "/w/b.txt"),
      ],
    },
    // 2: a file in the target's directory read, then truncated and moved onto the target
    {
      at: 3000,
      path: "/w/c.txt",
      file: (at) => [
        r.open(ms(at + 10), SERVER, "/w/secret.txt"),
        r.open(ms(at + 20), SERVER, "/w/secret.txt", { flags: TEMP_FLAGS }),
        r.fileOp(ms(at + 30), SERVER, "rename", "/w/secret.txt", 0, "/w/c.txt"),
      ],
    },
    // 3: O_CREAT without O_TRUNC or O_EXCL: an existing file kept as it is, moved onto the target
    {
      at: 4000,
      path: "/w/d.txt",
      file: (at) => [
        r.open(ms(at + 10), SERVER, "/w/other.txt", { flags: O_CREAT_RDWR }),
        r.fileOp(ms(at + 20), SERVER, "rename", "/w/other.txt", 0, "/w/d.txt"),
      ],
    },
    // 4: a "temp" in another directory
    {
      at: 5000,
      path: "/w/e.txt",
      file: (at) => [
        r.open(ms(at + 10), SERVER, "/srv/keep/e.tmp", { flags: TEMP_FLAGS }),
        r.fileOp(ms(at + 20), SERVER, "rename", "/srv/keep/e.tmp", 0, "/w/e.txt"),
      ],
    },
    // 5: a symlink from a pseudo-file onto the user's shell start-up file
    {
      at: 6000,
      path: "/w/f.txt",
      file: (at) => [r.fileOp(ms(at + 10), SERVER, "symlink", "/dev/null", 0, `${HOME}/.bashrc`)],
    },
    // 6: a file out of a node_modules directory moved onto the user's shell start-up file
    {
      at: 7000,
      path: "/w/g.txt",
      file: (
        at,
      ) => [
        r.fileOp(ms(at + 10), SERVER, "rename", "/opt/srv/node_modules/x/rc", 0, `${HOME}/.bashrc`),
      ],
    },
    // 7: a temp made by another process (the server's child), renamed by the server
    {
      at: 8000,
      path: "/w/h.txt",
      file: (at) => [
        r.open(ms(at + 10), CHILD, "/w/h.txt.1.tmp", { flags: TEMP_FLAGS }),
        r.fileOp(ms(at + 20), SERVER, "rename", "/w/h.txt.1.tmp", 0, "/w/h.txt"),
      ],
    },
  ];
  const ask = (at: number, seq: number, id: number, method: string, params: unknown) =>
    r.ipcWrite(ms(at), AGENT, 1000, SERVER, seq, { id, method, params });
  const answer = (at: number, seq: number, id: number, result: unknown) =>
    r.ipcWrite(ms(at), SERVER, 1001, AGENT, seq, { id, result });
  return {
    process: [
      r.fork(0, AGENT, 1, "claude"),
      r.exec(1, AGENT, 1, ["/opt/claude"]),
      r.fork(ms(10), SERVER, AGENT),
      r.exec(ms(10) + 1, SERVER, AGENT, ["node", "/opt/srv/server.js"]),
      r.fork(ms(20), CHILD, SERVER),
    ],
    file: cases.flatMap((k) => k.file(k.at)),
    ipc: [
      ask(20, 0, 1, "initialize", { protocolVersion: "2025-06-18", capabilities: {} }),
      answer(30, 0, 1, {
        protocolVersion: "2025-06-18",
        serverInfo: { name: "files", version: "1" },
      }),
      ...cases.flatMap((k, i) => [
        ask(k.at, i + 1, i + 2, "tools/call", {
          name: "write_file",
          arguments: { path: k.path, content: "x" },
        }),
        answer(k.at + 100, i + 1, i + 2, { content: [{ type: "text", text: "ok" }] }),
      ]),
    ],
    llm: cases.map((k, i) => r.llm(i + 1, AGENT, ms(k.at - 500))),
    tools: cases.map((k, i) =>
      r.tool(i + 1, i + 1, ms(k.at - 100), null, "mcp__files__write_file", {
        path: k.path,
        content: "x",
      }, { result_llm_call_id: null })
    ),
  };
}

Deno.test("overreach: only a new temp file, made in the target's directory and untouched before, is excused; pseudo-files and node_modules are excepted path by path", async () => {
  const { c, close } = await syntheticDb(probes());
  try {
    assert.deepEqual(await buildLinksAndFindings(c), []);
    // the premise: every probe's file actions are linked to its call as the server's
    assert.deepEqual(
      await all(
        c,
        "SELECT l.tool_call_id, count(*) AS n FROM actions a JOIN links l " +
          "USING (recording, event_table, event_id) WHERE a.event_table = 'file' " +
          "AND list_contains(l.signals, 'mcp') GROUP BY ALL ORDER BY 1",
      ),
      [2, 3, 3, 2, 2, 1, 1, 2].map((n, i) => ({ tool_call_id: BigInt(i + 1), n: BigInt(n) })),
    );
    const findings = await all(
      c,
      "SELECT evidence[1] AS call, severity, explanation FROM findings " +
        "WHERE kind = 'mcp_server_overreach' ORDER BY start_ns",
    );
    assert.deepEqual(
      findings.map((f) => f.call),
      [2, 3, 4, 5, 6, 7, 8].map((n) => `tool_call:${n}`),
      "every probe but the real atomic write is overreach",
    );
    const said = (call: number) =>
      String(findings.find((f) => f.call === `tool_call:${call}`)?.explanation);
    assert.match(said(2), /rename \/home\/u\/\.aws\/credentials -> \/w\/b\.txt/);
    assert.equal(findings[0].severity, "high", "the credentials read is sensitive");
    assert.match(said(3), /rename \/w\/secret\.txt -> \/w\/c\.txt/);
    assert.match(said(4), /rename \/w\/other\.txt -> \/w\/d\.txt/);
    assert.match(said(5), /rename \/srv\/keep\/e\.tmp -> \/w\/e\.txt/);
    assert.match(said(6), /symlink \/dev\/null -> \/home\/u\/\.bashrc/);
    assert.match(said(7), /rename \/opt\/srv\/node_modules\/x\/rc -> \/home\/u\/\.bashrc/);
    assert.match(said(8), /rename \/w\/h\.txt\.1\.tmp -> \/w\/h\.txt/);
  } finally {
    close();
  }
});
