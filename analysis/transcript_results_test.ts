/**
 * Tool results that reached the model only as a compaction's transcript text (opencode): tied
 * to the call the transcript identifies, said when it identifies none or several.
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { tieTranscriptResults, transcriptResults } from "./transcript_results.ts";
import { analysedCopy } from "./testing.ts";
import { withDb } from "./analysed_db.ts";
import { queryRows } from "../kit/sql_runner.ts";
import type { ToolCallRow } from "./schema.ts";

const FIXTURE = filePath("../tests/fixtures/opencode_compaction", import.meta.url);

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

Deno.test("tieTranscriptResults: tied by name and input (key order aside); one answered already is skipped; none fitting is said, once", () => {
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
  // another process's calls are not the summariser's: one line for all it could not tie
  const other = tieTranscriptResults([ls], [ls, answered], () => 8, TEXT, 9n, 1n, 7);
  assert.deepEqual(other.untied, [
    "LLM call 9 (a compaction's summariser) carries tool results only as transcript text, " +
    'not tied to a tool call: 1 of "bash", 1 of "read" fit no call of the recording',
  ]);
  // nor a call of another conversation of its process (a sub-agent's)
  const sub = tool(1, "bash", { command: "ls", description: "list" });
  const notOurs = tieTranscriptResults([sub], [sub], () => 7, TEXT, 9n, 1n, 7, () => false);
  assert.deepEqual(notOurs.tied, []);
  assert.equal(sub.result_llm_call_id, null);
  // a call id named is followed, within the summariser's process
  const named = "[Assistant tool call] (id toolu_5): bash(null)\n[Tool result]: ok";
  const five = tool(5, "bash", {});
  assert.deepEqual(tieTranscriptResults([five], [five], () => 8, named, 9n, 1n, 7).tied, []);
  const tiedNamed = tieTranscriptResults([five], [five], () => 7, named, 9n, 1n, 7);
  assert.equal(tiedNamed.tied.length, 1);
  assert.equal(tiedNamed.tied[0].result_text, "ok");
});

/** A transcript of one command run twice, each run with its own result. */
const TWICE = [
  "<conversation>",
  '[Assistant tool call]: bash({"command":"date"})',
  "[Tool result]: first",
  "",
  '[Assistant tool call]: bash({"command":"date"})',
  "[Tool result]: second",
  "",
  "</conversation>",
].join("\n");

Deno.test("tieTranscriptResults: a command run twice gets each run's own result, in order", () => {
  // the first run answered as a message: the open second run gets the second result
  const [a1, a2] = [tool(1, "bash", { command: "date" }), tool(2, "bash", { command: "date" })];
  const one = tieTranscriptResults([a2], [a1, a2], () => 7, TWICE, 9n, 1n, 7);
  assert.deepEqual(one, { tied: [a2], untied: [] });
  assert.equal(a2.result_text, "second");
  assert.equal(a1.result_llm_call_id, null);
  // both open: each its own
  const [b1, b2] = [tool(1, "bash", { command: "date" }), tool(2, "bash", { command: "date" })];
  const both = tieTranscriptResults([b1, b2], [b1, b2], () => 7, TWICE, 9n, 1n, 7);
  assert.deepEqual(both.untied, []);
  assert.deepEqual([b1.result_text, b2.result_text], ["first", "second"]);
  // a transcript that begins after the first run (an earlier summary): its result is the last
  // run's
  const [c1, c2] = [tool(1, "bash", { command: "date" }), tool(2, "bash", { command: "date" })];
  const last = TWICE.split("\n").slice(3).join("\n");
  const tail = tieTranscriptResults([c1, c2], [c1, c2], () => 7, last, 9n, 1n, 7);
  assert.deepEqual(tail, { tied: [c2], untied: [] });
  assert.equal(c2.result_text, "second");
  // more runs in the text than in the recording: the one it cannot place is said
  const d2 = tool(2, "bash", { command: "date" });
  const more = tieTranscriptResults([d2], [d2], () => 7, TWICE, 9n, 1n, 7);
  assert.equal(d2.result_text, "second");
  assert.deepEqual(more.untied.length, 1);
  assert.match(more.untied[0], /1 of "bash" fit no call of the recording/);
});
