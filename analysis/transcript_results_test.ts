/**
 * Tool results that reached the model only as a compaction's transcript text (opencode): tied
 * to the call the transcript identifies, said when it identifies none or several.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { tieTranscriptResults, transcriptResults } from "./transcript_results.ts";
import { analysedCopy } from "./testing.ts";
import { withDb } from "./analysed_db.ts";
import { queryRows } from "../kit/sql_runner.ts";
import type { ToolCallRow } from "./schema.ts";

const FIXTURE = new URL("../tests/fixtures/opencode_compaction", import.meta.url).pathname;

Deno.test("transcript results (real capture, opencode 1.19.5): the bash call answered only in the summariser's text is tied to it", async () => {
  const s = await analysedCopy(FIXTURE, { prefix: "sl-opencode-compaction-" });
  try {
    await withDb(s.db, async (c) => {
      const calls = await queryRows(
        c,
        `SELECT llm_call_id, kind, conversation_via FROM llm_calls ORDER BY llm_call_id`,
      );
      const summariser = calls.find((x) => x.conversation_via === "transcript");
      assert.ok(summariser, Deno.inspect(calls));
      const tools = await queryRows(
        c,
        `SELECT name, input ->> '$.command' AS command, result_llm_call_id, result_text,
           result_ns = (SELECT request_ns FROM llm_calls WHERE llm_call_id = result_llm_call_id)
             AS at_its_request
         FROM tool_calls ORDER BY tool_call_id`,
      );
      assert.deepEqual(tools, [{
        name: "bash",
        command: "echo compaction-marker",
        result_llm_call_id: summariser.llm_call_id,
        result_text: "compaction-marker",
        at_its_request: true,
      }]);
      const problems = await queryRows(
        c,
        `SELECT message FROM problems WHERE source = 'tool_calls'`,
      );
      assert.deepEqual(problems, []);
    }, { readOnly: true });
  } finally {
    await Deno.remove(dirname(s.dir), { recursive: true });
  }
});

/** opencode 1.19's transcript, as its summariser's request holds it (the real one's shape). */
const TEXT = [
  "Here is the conversation so far:",
  "",
  "<conversation>",
  '[User]: "List the files, then read a.txt."',
  "",
  '[Assistant tool call]: bash({"command":"ls","description":"list"})',
  "[Tool result]: a.txt",
  "b.txt",
  "",
  '[Assistant tool call]: read({"filePath":"/w/a.txt"})',
  "[Tool result]: hello",
  "",
  "</conversation>",
  "",
  "Create a new anchored summary",
].join("\n");

const tool = (id: number, name: string, input: unknown): ToolCallRow =>
  ({
    recording: "r",
    tool_call_id: BigInt(id),
    llm_call_id: 1n,
    call_index: id - 1,
    provider_call_id: `toolu_${id}`,
    name,
    kind: "function",
    input: JSON.stringify(input),
    result_llm_call_id: null,
    result_text: null,
    result_is_error: null,
    requested_ns: 0n,
    result_ns: null,
  }) as ToolCallRow;

Deno.test("transcriptResults: each call with its result, a result over several lines whole", () => {
  assert.deepEqual(transcriptResults(TEXT), [
    {
      callId: null,
      name: "bash",
      input: '{"command":"ls","description":"list"}',
      text: "a.txt\nb.txt",
    },
    { callId: null, name: "read", input: '{"filePath":"/w/a.txt"}', text: "hello" },
  ]);
  assert.deepEqual(transcriptResults("[Assistant tool call]: bash({})\n[User]: hi"), []);
});

Deno.test("tieTranscriptResults: tied by name and input (key order aside); one answered already is skipped; several fitting, or none, are said", () => {
  // the read was answered as a message: not open, nothing to say of it
  const answered = tool(2, "read", { filePath: "/w/a.txt" });
  const ls = tool(1, "bash", { description: "list", command: "ls" });
  const open = [ls];
  const r = tieTranscriptResults(open, [ls, answered], () => 7, TEXT, 9n, 100n, 7);
  assert.deepEqual(r.untied, []);
  assert.deepEqual(r.tied, [ls]);
  assert.deepEqual(open, []);
  assert.equal(ls.result_llm_call_id, 9n);
  assert.equal(ls.result_text, "a.txt\nb.txt");
  assert.equal(ls.result_ns, 100n);
  // two calls the text fits alike: neither is tied
  const twins = [
    tool(1, "bash", { command: "ls", description: "list" }),
    tool(3, "bash", {
      command: "ls",
      description: "list",
    }),
  ];
  const both = tieTranscriptResults([...twins], [...twins, answered], () => 7, TEXT, 9n, 1n, 7);
  assert.deepEqual(both.tied, []);
  assert.deepEqual(both.untied, [
    "LLM call 9 (a compaction's summariser) carries the result of a bash call only as " +
    "transcript text, which names no call id; 2 calls without a result fit it: not tied to a " +
    "tool call",
  ]);
  assert.equal(twins[0].result_llm_call_id, null);
  // another process's call is not the summariser's, and a call id named is followed
  const other = tieTranscriptResults([ls], [ls, answered], () => 8, TEXT, 9n, 1n, 7);
  assert.match(other.untied.join("\n"), /bash call .*; no call fits it: not tied/);
  const named = tieTranscriptResults(
    [tool(5, "bash", {})],
    [],
    () => 7,
    "[Assistant tool call] (id toolu_5): bash(null)\n[Tool result]: ok",
    9n,
    1n,
    7,
  );
  assert.equal(named.tied.length, 1);
  assert.equal(named.tied[0].result_text, "ok");
});
