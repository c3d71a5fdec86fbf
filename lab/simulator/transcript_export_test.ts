/**
 * A captured session turned back into a model-server transcript: the exported exchanges are the
 * ones the server served (bodies byte for byte), and replaying the Gemini CLI tool session
 * through the scripted server makes the real agent run the same tool call again — seen in the
 * file it writes, in what it sends back, and (as root) in the analysis of the replay's capture.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { runAgent } from "../agents/mod.ts";
import { parseTranscript, type Transcript } from "./transcript.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { extractTranscript, recordedDelays } from "./transcript_export.ts";
import { checkTiming } from "./replay.ts";
import {
  analysedCopy,
  build,
  fixtureDir,
  fixtureTls,
  prices,
  served,
} from "../../analysis/testing.ts";
import { isRoot } from "../../tests/support/ebpf.ts";
import { tlsView } from "../../analysis/byte_streams.ts";
import { openRecording } from "../../analysis/recording_input.ts";
import { captureCommand } from "../../capture/command_line.ts";

const ROOT = filePath("../..", import.meta.url);

const copies = new Map<string, Promise<string>>();
/** An analysed copy of a fixture recording (made once per agent; tests only read it). */
function fixtureAnalysed(agent: string): Promise<string> {
  let p = copies.get(agent);
  if (!p) {
    copies.set(
      agent,
      p = analysedCopy(fixtureDir(agent), { prefix: "sl-transcript-", name: "rec" }).then((s) =>
        s.dir
      ),
    );
  }
  return p;
}

for (const agent of ["claude", "gemini", "codex", "codex_ws", "codex_ws_refused"]) {
  Deno.test(`${agent}: the exported transcript is what the server served`, async () => {
    const t = await extractTranscript(await fixtureAnalysed(agent));
    parseTranscript(JSON.parse(JSON.stringify(t)), "exported");
    const sent = (served(agent).transcript as unknown as Transcript).exchanges;
    assert.deepEqual(
      t.exchanges.map((e) => [e.method, e.path, e.status, e.kind, e.streaming, e.body]),
      sent.map((e) => [e.method, e.path, e.status, e.kind, e.streaming, e.body]),
    );
    for (const [i, e] of t.exchanges.entries()) {
      assert.equal(e.headers["content-type"], sent[i].headers["content-type"]);
      assert.equal(e.headers["transfer-encoding"], undefined);
    }
  });
}

Deno.test("the recorded timing: one pause per piece of every answer, as the capture saw them", async () => {
  for (const agent of ["claude", "gemini", "codex", "codex_ws"]) {
    const dir = await fixtureAnalysed(agent);
    const plain = await extractTranscript(dir);
    const t = await extractTranscript(dir, { timing: true });
    const n = t.exchanges.length;
    assert.match(
      t.timing!,
      new RegExp(`^recorded by the capture of rec: ${n} of ${n} calls timed`),
    );
    // the same exchanges, now with pauses that fit the pieces they are sent in
    assert.deepEqual(t.exchanges.map(({ delaysMs: _d, ...x }) => x), plain.exchanges);
    checkTiming(t, agent);
    const parsed = parseTranscript(JSON.parse(JSON.stringify(t)), agent);
    assert.deepEqual(parsed.exchanges.map((e) => e.delaysMs), t.exchanges.map((e) => e.delaysMs));
    for (const e of t.exchanges) {
      assert.ok(e.delaysMs!.every((d) => d >= 0), agent);
      // the model server took some time to answer each call the agent made
      assert.ok(e.delaysMs!.reduce((a, b) => a + b, 0) > 0, `${agent}: ${e.path}`);
    }
  }
});

Deno.test("recordedDelays: times out of order or missing leave the call untimed", () => {
  const x = {
    method: "POST",
    path: "/v1/messages",
    status: 200,
    headers: {},
    streaming: true,
    body: "data: 1\n\ndata: 2\n\n",
  };
  assert.deepEqual(
    recordedDelays(x, { sent_ns: 1_000_000n, end_ns: null, piece_ns: [3_000_000n, 3_500_000n] }),
    [2, 0.5],
  );
  assert.equal(recordedDelays(x, { sent_ns: 1n, end_ns: null, piece_ns: [3n] }), undefined);
  assert.equal(recordedDelays(x, { sent_ns: 5n, end_ns: null, piece_ns: [3n, 6n] }), undefined);
  assert.equal(recordedDelays(x, { sent_ns: null, end_ns: null, piece_ns: [3n, 6n] }), undefined);
  const whole = { ...x, streaming: false, body: "{}" };
  assert.deepEqual(recordedDelays(whole, { sent_ns: 0n, end_ns: 12_340_000n, piece_ns: null }), [
    12.3,
  ]);
});

Deno.test("replaying a captured Codex WebSocket session over a WebSocket: the same tool call", async () => {
  const transcript = await extractTranscript(await fixtureAnalysed("codex_ws"));
  const result = await runAgent({
    agent: "codex",
    transcript,
    prompt: JSON.parse(await Deno.readTextFile(`${ROOT}lab/scenarios/tool_marker.json`)).prompt,
  });
  assert.equal(result.exitCode, 0, result.stderr.slice(-1500));
  assert.deepEqual(result.serverErrors, []);
  assert.deepEqual(
    result.requests.map((r) => [r.httpVersion, r.kind, r.side ?? null, r.status]),
    [["websocket", "side", "warmup", 200], ["websocket", "main", null, 200], [
      "websocket",
      "main",
      null,
      200,
    ]],
  );
  const token = (await Deno.readTextFile(`${result.workdir}/marker.txt`)).trim();
  assert.match(token, /^token-[0-9a-f]{16}$/);
  assert.ok(
    JSON.stringify(result.requests.at(-1)!.body).includes(token),
    "the new result went back",
  );
});

Deno.test("replaying a captured Gemini CLI tool session: the agent runs the same tool call", async () => {
  const original = await build(fixtureTls("gemini"));
  const tool = original.tools[0];
  assert.equal(tool.name, "run_shell_command");
  const transcript = await extractTranscript(await fixtureAnalysed("gemini"));
  const out = `${await Deno.makeTempDir({ prefix: "sl-replay-" })}/rec`;
  const result = await runAgent({
    agent: "gemini",
    transcript,
    prompt: JSON.parse(await Deno.readTextFile(`${ROOT}lab/scenarios/tool_marker.json`)).prompt,
    wrap: isRoot
      ? (argv, again) => captureCommand(out, argv, again ? ["--quiet", "--force"] : undefined)
      : undefined,
  });
  assert.equal(result.exitCode, 0, result.stderr.slice(-1500));
  assert.deepEqual(result.serverErrors, []);
  // the command ran again: a fresh token in marker.txt, sent back as the tool's result
  const token = (await Deno.readTextFile(`${result.workdir}/marker.txt`)).trim();
  assert.match(token, /^token-[0-9a-f]{16}$/);
  const back = result.requests.filter((r) => r.kind === "main").at(-1)!;
  const sentBack = JSON.stringify(back.body);
  assert.ok(sentBack.includes(`"name":"run_shell_command"`) && sentBack.includes(token));
  if (isRoot) {
    // the replay's own capture shows the same tool call, with the new result
    await analyzeRecording(out, prices, { quiet: true });
    const again = await build(tlsView(openRecording(out).tables.get("tls")!));
    assert.equal(again.tools.length, 1);
    assert.equal(again.tools[0].name, tool.name);
    assert.deepEqual(JSON.parse(again.tools[0].input), JSON.parse(tool.input));
    assert.ok(again.tools[0].result_text?.includes(token));
  }
});
