/** Tests that `entryHash` is `hashText(entryText(...))` on every shape an entry can take. */
import assert from "node:assert/strict";
import { entryHash, entryText, hashText } from "./entry_hash.ts";

/** entryHash against the text it stands for, the ids it gathers too. */
function same(v: unknown, seed = 0) {
  const want: string[] = [];
  const got: string[] = [];
  assert.equal(entryHash(v, seed, got), hashText(entryText(v, want), seed), JSON.stringify(v));
  assert.deepEqual(got, want);
  assert.equal(entryHash(v, seed), hashText(entryText(v), seed));
}

Deno.test("entryHash: each API's entries, cache marks, content strings and text blocks alike", () => {
  const entries: unknown[] = [
    { role: "user", content: "print the marker" },
    [{ type: "text", text: "You are a coding agent.", cache_control: { type: "ephemeral" } }],
    {
      role: "assistant",
      content: [
        { type: "text", text: "ok" },
        { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls -la" } },
      ],
    },
    {
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a\nb", is_error: false }],
    },
    { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] },
    { type: "function_call", call_id: "call_9", name: "shell", arguments: '{"cmd":["ls"]}' },
    { role: "model", parts: [{ functionCall: { name: "run", args: { n: 3.25, ok: true } } }] },
    { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function" }] },
    [{ type: "output_text", text: "x", id: "msg_1", content: "nested string" }],
    [[{ type: "text", text: "in an inner array" }], { type: "input_text" }],
    { type: "text", text: "a text block not in an array keeps its type", cache_control: 1 },
    "a string entry",
    42,
    null,
    [],
    {},
  ];
  for (const e of entries) same(e, 12345);
  same(entries, 2 ** 40 + 7);
});

Deno.test("entryHash: strings escaped as JSON.stringify escapes them", () => {
  for (
    const s of [
      'quote " backslash \\ slash /',
      "\b\f\n\r\t\u0000\u0001\u001f\u007f",
      "pair \ud83d\ude00, lone high \ud800 end, lone low \udc00, high at the end \udbff",
      "\ud800\ud800\udc00",
      "non-ASCII: é ü 中文",
      "",
    ]
  ) {
    same(s);
    same({ [s]: s, content: s, id: s });
  }
});

Deno.test("entryHash: numbers, undefined, functions and symbols as JSON.stringify writes them", () => {
  same([0, -0, 1e21, 1e-7, 0.1, -5.5, Number.MAX_SAFE_INTEGER, NaN, Infinity]);
  same({ a: undefined, b: () => 1, c: Symbol("s"), d: 1 });
  same([undefined, () => 1, Symbol("s")]);
  same({ a: undefined });
  same(undefined, 99);
  same({ toJSON: () => ({ content: "from toJSON" }) });
  same({ when: new Date(0), n: [1, { toJSON: () => "x" }] });
  same({ boxed: [new String("s"), new Number(2), new Boolean(false)], map: new Map([[1, 2]]) });
  same([Object.assign(Object.create(null), { type: "text", text: "no prototype" })]);
  assert.throws(() => entryHash({ big: 1n }), TypeError);
});

Deno.test("entryHash: nested past its own depth, as entryText gives it", () => {
  let deep: unknown = { content: "bottom", id: "deep-id" };
  for (let i = 0; i < 1000; i++) deep = i % 2 ? [deep] : { content: [deep], id: `i${i}` };
  same(deep);
});

Deno.test("entryHash: random JSON values, ids gathered in order", () => {
  let x = 0x2545f491;
  const rnd = (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const keys = ["id", "call_id", "content", "cache_control", "type", "text", "k", "é\n"];
  const types = ["text", "input_text", "output_text", "tool_use", 7];
  const gen = (d: number): unknown => {
    switch (d > 5 ? rnd(4) : rnd(7)) {
      case 0:
        return String.fromCharCode(...Array.from({ length: rnd(6) }, () => rnd(0xe000)));
      case 1:
        return rnd(1000) / 7;
      case 2:
        return rnd(3) === 0 ? null : rnd(2) === 0;
      case 3:
        return types[rnd(types.length)];
      case 4:
      case 5:
        return Object.fromEntries(
          Array.from({ length: rnd(5) }, () => [keys[rnd(keys.length)], gen(d + 1)]),
        );
      default:
        return Array.from({ length: rnd(4) }, () => gen(d + 1));
    }
  };
  for (let i = 0; i < 3000; i++) same(gen(0), i);
});
