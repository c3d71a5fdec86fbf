/** Tests for scenario validation: every shipped scenario parses; bad ones fail in one line. */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadScenario, parseScenario, ScenarioError } from "./scenario.ts";

const SCENARIOS = fileURLToPath(new URL("../scenarios/", import.meta.url));

Deno.test("every scenario in lab/scenarios parses", async () => {
  let n = 0;
  for await (const e of Deno.readDir(SCENARIOS)) {
    if (!e.name.endsWith(".json")) continue;
    const s = await loadScenario(`${SCENARIOS}${e.name}`);
    assert.ok(s.turns.length > 0, e.name);
    n++;
  }
  assert.ok(n >= 5, `found ${n} scenarios`);
});

Deno.test("a valid scenario keeps its fields and defaults sequencing", () => {
  const s = parseScenario({
    name: "x",
    usage: { input: 5 },
    turns: [
      { tool: { run: "ls" }, repeat: { until: { contains: "ok" }, max: 3 } },
      { json: { a: 1 } },
    ],
  }, "x.json");
  assert.equal(s.sequencing, "conversation");
  assert.deepEqual(s.turns[0], {
    tool: { run: "ls" },
    repeat: { max: 3, until: { contains: "ok" } },
  });
  assert.deepEqual(s.usage, { input: 5 });
  assert.equal(s.source, "x.json");
});

const BAD: [string, unknown, string][] = [
  ["not an object", [], "f.json: scenario: expected an object, got an array"],
  [
    "no name",
    { turns: [{ text: "a" }] },
    "f.json: name: expected a string, got nothing (the field is missing)",
  ],
  [
    "a number for a name",
    { name: 5, turns: [{ text: "a" }] },
    "f.json: name: expected a string, got number 5",
  ],
  [
    "no turns",
    { name: "n" },
    "f.json: turns: expected a non-empty array, got nothing (the field is missing)",
  ],
  [
    "unknown top field",
    { name: "n", turns: [{ text: "a" }], extra: 1 },
    "f.json: extra: unknown field",
  ],
  [
    "empty turn",
    { name: "n", turns: [{}] },
    "f.json: turns[0]: needs text, json, tool or refusal",
  ],
  [
    "bad tool",
    { name: "n", turns: [{ tool: { frobnicate: "x" } }] },
    "f.json: turns[0].tool: expected one of run, read, write, name or mcp",
  ],
  [
    "empty command",
    { name: "n", turns: [{ tool: { run: "" } }] },
    "f.json: turns[0].tool.run: must not be empty",
  ],
  [
    "write without content",
    { name: "n", turns: [{ text: "a" }, { tool: { write: "a" } }] },
    "f.json: turns[1].tool.content: expected a string",
  ],
  [
    "negative usage",
    { name: "n", turns: [{ text: "a", usage: { output: -1 } }] },
    "f.json: turns[0].usage.output: must be between 0",
  ],
  [
    "repeat without condition",
    { name: "n", turns: [{ tool: { run: "a" }, repeat: { max: 2 } }] },
    "f.json: turns[0].repeat: needs exactly one of while or until",
  ],
  ["repeat on text", {
    name: "n",
    turns: [{ text: "a", repeat: { max: 2, while: { contains: "x" } } }],
  }, "f.json: turns[0].repeat: only a turn with one tool can repeat"],
  [
    "bad regex",
    { name: "n", turns: [{ text: "a", when: { matches: "(" } }] },
    "f.json: turns[0].when.matches: invalid regular expression",
  ],
  [
    "json with text",
    { name: "n", turns: [{ text: "a", json: {} }] },
    "f.json: turns[0]: json cannot be combined",
  ],
  [
    "bad sequencing",
    { name: "n", sequencing: "random", turns: [{ text: "a" }] },
    'f.json: sequencing: expected "conversation" or "per-request"',
  ],
  ["page off loopback", {
    name: "n",
    turns: [{ text: "a" }],
    pages: [{ name: "p", address: "10.0.0.1", routes: [{ path: "/" }] }],
  }, "f.json: pages[0].address: must be a loopback address"],
  ["page route path", {
    name: "n",
    turns: [{ text: "a" }],
    pages: [{ name: "p", address: "127.0.0.2", routes: [{ path: "x" }] }],
  }, "f.json: pages[0].routes[0].path: must start with /"],
  ["h2 without remote", {
    name: "n",
    turns: [{ text: "a" }],
    mcpServers: { ev: { server: "everything", transport: "http", h2: true } },
  }, "f.json: mcpServers.ev.h2: h2 is for a remote server's TLS front"],
  ["h2 not a boolean", {
    name: "n",
    turns: [{ text: "a" }],
    mcpServers: { ev: { server: "everything", transport: "http", remote: true, h2: "yes" } },
  }, "f.json: mcpServers.ev.h2: expected true or false"],
  [
    "fail with a 2xx status",
    { name: "n", turns: [{ text: "a", fail: { status: 200 } }] },
    "f.json: turns[0].fail.status: must be between 400 and 599, got 200",
  ],
  [
    "fail without a status",
    { name: "n", turns: [{ text: "a", fail: { times: 2 } }] },
    "f.json: turns[0].fail.status: needed (or give after, for a stream that breaks off)",
  ],
  [
    "fail with an unknown field",
    { name: "n", turns: [{ text: "a", fail: { status: 529, atfer: 2 } }] },
    "f.json: turns[0].fail.atfer: unknown field",
  ],
  [
    "a stream error without a status",
    { name: "n", turns: [{ text: "a", fail: { after: 2 } }] },
    "f.json: turns[0].fail.status: needed: the status whose error type the stream's error names",
  ],
  [
    "a cut without after",
    { name: "n", turns: [{ text: "a", fail: { cut: "close" } }] },
    "f.json: turns[0].fail.cut: needs after",
  ],
  [
    "an unknown cut",
    { name: "n", turns: [{ text: "a", fail: { after: 1, cut: "rst" } }] },
    'f.json: turns[0].fail.cut: expected one of error, end, close, stall, got the string "rst"',
  ],
  [
    "a negative after",
    { name: "n", turns: [{ text: "a", fail: { after: -1, status: 500 } }] },
    "f.json: turns[0].fail.after: must be between 0 and 100000, got -1",
  ],
  [
    "a status on a cut without error",
    { name: "n", turns: [{ text: "a", fail: { after: 1, cut: "close", status: 500 } }] },
    'f.json: turns[0].fail.status: a stream cut "close" carries no error, so no status',
  ],
  [
    "retry-after on a stream that began",
    { name: "n", turns: [{ text: "a", fail: { after: 1, status: 529, retryAfter: 1 } }] },
    "f.json: turns[0].fail.retryAfter: a stream that began (200) has sent its headers already",
  ],
  [
    "a stall without seconds",
    { name: "n", turns: [{ text: "a", fail: { after: 1, cut: "stall" } }] },
    'f.json: turns[0].fail.seconds: needed with cut "stall"',
  ],
  [
    "seconds without a stall",
    { name: "n", turns: [{ text: "a", fail: { after: 1, cut: "end", seconds: 3 } }] },
    'f.json: turns[0].fail.seconds: only with cut "stall"',
  ],
  [
    "file outside workdir",
    { name: "n", turns: [{ text: "a" }], files: { "../x": "" } },
    "f.json: files.../x: must be a relative path",
  ],
];

for (const [what, value, message] of BAD) {
  Deno.test(`scenario error: ${what}`, () => {
    assert.throws(() => parseScenario(value, "f.json"), (e: Error) => {
      assert.ok(e instanceof ScenarioError);
      assert.ok(
        e.message.startsWith(message),
        `${e.message}\n  does not start with\n${message}`,
      );
      assert.ok(!e.message.includes("\n"), "one line");
      return true;
    });
  });
}

Deno.test("loadScenario names the file for unreadable and non-JSON files; reads one saved with a byte order mark", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      loadScenario(`${dir}/missing.json`),
      /missing\.json: file: cannot read/,
    );
    await Deno.writeTextFile(`${dir}/bad.json`, "{ nope");
    await assert.rejects(
      loadScenario(`${dir}/bad.json`),
      /bad\.json: json: not valid JSON/,
    );
    // saved by an editor with a byte order mark: the same scenario
    const text = await Deno.readTextFile(`${SCENARIOS}text_hello.json`);
    await Deno.writeTextFile(`${dir}/bom.json`, "\uFEFF" + text);
    assert.deepEqual(
      { ...await loadScenario(`${dir}/bom.json`), source: "" },
      { ...await loadScenario(`${SCENARIOS}text_hello.json`), source: "" },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
