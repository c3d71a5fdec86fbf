/**
 * The coverage matrix's verdicts on the scenarios one plain run cannot play (scenario_play.ts):
 * each `yes` needs what a user checks of it, and each other verdict says why.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import {
  cellOf,
  compactedOnWire,
  judgePlay,
  type PlayFacts,
  playOf,
  type SessionCall,
} from "./scenario_play.ts";
import { loadScenario } from "../simulator/mod.ts";

const SCENARIOS = filePath("../scenarios/", import.meta.url);

const call = (o: Partial<SessionCall>): SessionCall => ({
  pid: 10,
  outcome: "complete",
  conversation_id: 1,
  conversation_via: null,
  assistant_text: "",
  processes: 1,
  compactions: 0,
  conversation_vias: "",
  ...o,
});
const facts = (o: Partial<PlayFacts>): PlayFacts => ({
  calls: [],
  problems: [],
  toolCalls: 0,
  toolResults: 0,
  exitCode: 0,
  sleeps: [],
  ...o,
});
/** the build script's sleep ended by the agent's SIGTERM */
const STOPPED = [{ pid: 30, ended: true, exit_code: null, exit_signal: 15 }];
const CUT =
  "https://127.0.0.1:1/v1/messages: the response is cut short: its client (pid 10 claude) ended " +
  "(exit code 130) 4.1 s after the connection's last recorded bytes, before the answer's end: " +
  "it stopped waiting";

Deno.test("the four scenario files are played as their names say; any other once", async () => {
  const play = async (f: string) => playOf(await loadScenario(`${SCENARIOS}${f}`));
  assert.deepEqual(await play("interrupt_stream.json"), { kind: "interrupt", when: "stream" });
  assert.deepEqual(await play("interrupt_tool.json"), { kind: "interrupt", when: "tool" });
  assert.deepEqual(await play("resume.json"), { kind: "resume", compaction: false });
  assert.deepEqual(await play("compaction.json"), { kind: "resume", compaction: true });
  assert.deepEqual(await play("demo.json"), { kind: "once" });
});

Deno.test("Ctrl-C in the stream: yes needs one cut call said as left unread by its client", () => {
  const play = { kind: "interrupt", when: "stream" } as const;
  const served = { requests: [], turns: 2 };
  const good = facts({
    calls: [call({ outcome: "cut" })],
    problems: [{ kind: "incomplete", message: CUT }],
  });
  assert.equal(judgePlay(play, good, served, ["claude"]).captured, "yes");
  // never signalled: the agent ended first, not a pass
  const never = judgePlay(play, good, served, []);
  assert.equal(never.captured, "no");
  assert.match(never.note, /Ctrl-C never sent/);
  // the interrupted call read as complete (lost as interrupted)
  const whole = judgePlay(play, { ...good, calls: [call({})] }, served, ["claude"]);
  assert.equal(whole.captured, "no");
  assert.match(whole.note, /0 interrupted main calls \(outcomes complete\)/);
  // its problem blames the recording, not the client
  const lost = judgePlay(
    play,
    {
      ...good,
      problems: [{ kind: "incomplete", message: "cut short: its last bytes were not recorded" }],
    },
    served,
    ["claude"],
  );
  assert.equal(lost.captured, "no");
  assert.match(lost.note, /does not say the client stopped reading/);
  // a traced process left without an end
  const running = judgePlay(
    play,
    { ...good, problems: [...good.problems, { kind: "running", message: "pid 12" }] },
    served,
    ["claude"],
  );
  assert.equal(running.captured, "no");
  assert.match(running.note, /1 traced process\(es\) left without an end/);
});

Deno.test("Ctrl-C while the command runs: yes needs its tool call and nothing left running", () => {
  const play = { kind: "interrupt", when: "tool" } as const;
  const served = { requests: [], turns: 2 };
  const ok = judgePlay(
    play,
    facts({ calls: [call({})], toolCalls: 1, sleeps: STOPPED }),
    served,
    ["claude", "sh"],
  );
  assert.equal(ok.captured, "yes", ok.note);
  assert.match(
    ok.note,
    /1 tool call\(s\), 0 with a result sent back; its sleep 45 ended by signal 15/,
  );
  const missing = judgePlay(play, facts({ calls: [call({})], sleeps: STOPPED }), served, [
    "claude",
  ]);
  assert.equal(missing.captured, "no");
  assert.match(missing.note, /tool call is missing/);
});

const mainReq = (seq: number, turn: number, body?: unknown) => ({
  kind: "main" as const,
  seq,
  turn,
  body,
});

/** The first main request, answered with a call of `tool` (what the compaction must drop). */
const calledWith = (tool: string, body: unknown = { messages: [{}] }) => ({
  ...mainReq(0, 0, body),
  toolCalls: [tool],
});

Deno.test("resume: yes needs both processes' calls in one conversation, one joined as resumed", () => {
  const play = { kind: "resume", compaction: false } as const;
  const served = { requests: [mainReq(0, 0), mainReq(1, 1), mainReq(2, 2)], turns: 3 };
  const conv = { processes: 2, conversation_vias: "history,resumed" };
  const good = facts({
    calls: [
      call({ ...conv }),
      call({ ...conv, conversation_via: "history" }),
      call({ ...conv, pid: 20, conversation_via: "resumed" }),
    ],
  });
  const v = judgePlay(play, good, served);
  assert.equal(v.captured, "yes", v.note);
  // the second process's call left as a conversation of its own
  const split = facts({
    calls: [
      call({ processes: 1, conversation_vias: "history" }),
      call({ processes: 1, conversation_via: "history", conversation_vias: "history" }),
      call({ pid: 20, conversation_id: 3 }),
    ],
  });
  const s = judgePlay(play, split, served);
  assert.equal(s.captured, "no");
  assert.match(s.note, /in 2 conversations, not one/);
  assert.match(s.note, /no call is joined as resumed/);
  // the resumed process started afresh (served turn 1 again): said, not a pass
  const fresh = judgePlay(play, good, { requests: served.requests.slice(0, 2), turns: 3 });
  assert.equal(fresh.captured, "no");
  assert.match(
    fresh.note,
    /did not send the session's history \(its last request was served turn 2 of 3\)/,
  );
});

Deno.test("compaction: not n/a for a run with nothing recovered; yes needs it counted", () => {
  const play = { kind: "resume", compaction: true } as const;
  const called = calledWith("Bash");
  const withCall = { messages: [{}, { content: [{ type: "tool_use" }] }, {}] };
  const grew = [called, mainReq(1, 1, withCall), mainReq(2, 2, withCall)];
  // no compaction, and nothing recovered of the resume: no (n/a needs the rest to hold)
  const none = judgePlay(play, facts({}), { requests: grew, turns: 4 });
  assert.equal(none.captured, "no");
  assert.match(none.note, /did not compact.*its resume does not hold/);
  const compacted = [
    called,
    mainReq(1, 1, withCall),
    mainReq(2, 2, { messages: [{}], tools: [{}] }),
    mainReq(3, 3, withCall),
  ];
  const conv = { processes: 2, compactions: 1, conversation_vias: "history,resumed,summary" };
  const good = facts({
    calls: [call(conv), call({ ...conv, conversation_via: "summary" }), call({ ...conv, pid: 20 })],
  });
  assert.equal(judgePlay(play, good, { requests: compacted, turns: 4 }).captured, "yes");
  const uncounted = facts({
    calls: good.calls.map((c) => ({ ...c, compactions: 0, conversation_vias: "history,resumed" })),
  });
  const v = judgePlay(play, uncounted, { requests: compacted, turns: 4 });
  assert.equal(v.captured, "no");
  assert.match(v.note, /compaction on the wire is not counted/);
});

Deno.test("requests made at once in either order are no compaction; a stored response's delta is not", () => {
  // GitHub Copilot CLI 1.0.102 asks for a summary in the background while it sends the tool
  // result: the longer request may arrive first; both carry the tool call
  const called = calledWith("bash");
  const body = (n: number) => ({ messages: [{ tool_calls: [{ id: "c" }] }, ...Array(n).fill({})] });
  assert.equal(compactedOnWire([called, mainReq(1, 1, body(4)), mainReq(2, 2, body(3))]), false);
  const delta = { input: [{ type: "message" }], previous_response_id: "r" };
  assert.equal(compactedOnWire([called, mainReq(1, 1, delta)]), false);
  assert.equal(compactedOnWire([{ kind: "side", seq: 0, body: body(9), toolCalls: ["x"] }]), false);
});

Deno.test("Ctrl-C while the command runs: a command the agent left running is rightly said running", () => {
  // Gemini CLI 0.61.0 exits at Ctrl-C and leaves its shell and the build's sleep running: the
  // capture ends with the agent, and the analysis says they had no recorded exit
  const play = { kind: "interrupt", when: "tool" } as const;
  const served = { requests: [], turns: 2 };
  const running = {
    kind: "running",
    message: "2 traced processes have no recorded exit (pid 10722 sh, pid 10723 sleep): still " +
      "running when the capture ended, or the exit was lost; what they did afterwards is not recorded",
  };
  const base = facts({
    calls: [call({})],
    toolCalls: 1,
    problems: [running],
    sleeps: [{ pid: 10723, ended: false, exit_code: null, exit_signal: null }],
  });
  const left = [{ pid: 10722, comm: "sh" }, { pid: 10723, comm: "sleep" }];
  const right = judgePlay(play, base, served, ["node"], left);
  assert.equal(right.captured, "yes", right.note);
  assert.match(
    right.note,
    /the agent left its command running \(sh, sleep\), as the running problem says/,
  );
  // said running, but they had ended: their exits were lost
  const lost = judgePlay(play, base, served, ["node"], []);
  assert.equal(lost.captured, "no");
  assert.match(lost.note, /2 traced process\(es\) left without an end/);
  // still running, but the analysis says nothing of it
  const unsaid = judgePlay(play, { ...base, problems: [] }, served, ["node"], left);
  assert.equal(unsaid.captured, "no");
  assert.match(
    unsaid.note,
    /sh 10722, sleep 10723 still running after the agent ended, not said so/,
  );
});

Deno.test("a scenario the server could not play as written is no, never n/a", () => {
  // opencode 1.19.5 on compaction.json: its title request took the first turn and the server
  // could not answer it; the agent then never compacted
  const na = { captured: "n/a" as const, note: "the agent did not compact" };
  assert.equal(cellOf(false, true, na), "no");
  assert.equal(cellOf(true, false, na), "n/a");
  assert.equal(cellOf(true, false, { captured: "yes", note: "" }), "yes");
  assert.equal(cellOf(true, false, { captured: "no", note: "" }), "no");
  assert.equal(cellOf(false, false, { captured: "yes", note: "" }), "no");
  assert.equal(cellOf(true, false), "yes");
});

Deno.test("a turn that goes on without the model's tool call is a compaction; a summariser's request is not", () => {
  // opencode 1.19.5: the summariser gets the conversation as text in one user message, and the
  // next turn goes on from the summary: neither carries the tool call it was answered with
  const user = (text: string) => ({ role: "user", content: [{ type: "text", text }] });
  const first = {
    kind: "main" as const,
    seq: 0,
    turn: 0,
    body: { messages: [user("go")] },
    toolCalls: ["bash"],
  };
  const summariser = mainReq(1, 1, { messages: [user("[Assistant tool call]: bash(...)")] });
  const fromSummary = mainReq(2, 2, { messages: [user("summary"), user("go on")], tools: [{}] });
  assert.equal(compactedOnWire([first, summariser, fromSummary]), true);
  // a summary asked for and not gone on from (Qwen Code 0.12.0): the summariser offers no tools
  // and the next turn carries the tool call again
  const again = mainReq(2, 2, {
    messages: [{ role: "assistant", tool_calls: [{ id: "c" }] }],
    tools: [{}],
  });
  assert.equal(compactedOnWire([first, summariser]), false);
  assert.equal(compactedOnWire([first, summariser, again]), false);
  // the usual next turn carries it back, with its result
  const next = mainReq(1, 1, {
    tools: [{}],
    messages: [
      user("go"),
      { role: "assistant", content: [{ type: "tool_use", id: "t", name: "bash", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: "m" }] },
    ],
  });
  assert.equal(compactedOnWire([first, next]), false);
  // Gemini's and Responses' forms too
  const gemini = mainReq(1, 1, {
    tools: [{}],
    contents: [{ role: "model", parts: [{ functionCall: { name: "run", args: {} } }] }],
  });
  assert.equal(compactedOnWire([first, gemini]), false);
  const responses = mainReq(1, 1, {
    tools: [{}],
    input: [{ type: "function_call", name: "exec", arguments: "{}" }],
  });
  assert.equal(compactedOnWire([first, responses]), false);
});

Deno.test("Ctrl-C while the command runs: a run the Ctrl-C did not stop is no", () => {
  // an agent that ignores SIGINT: the 45 s sleep ends by itself, its result goes back, turn 2
  const play = { kind: "interrupt", when: "tool" } as const;
  const served = { requests: [], turns: 2 };
  const carriedOn = facts({
    calls: [call({}), call({})],
    toolCalls: 1,
    toolResults: 1,
    sleeps: [{ pid: 30, ended: true, exit_code: 0, exit_signal: null }],
  });
  const v = judgePlay(play, carriedOn, served, ["node"]);
  assert.equal(v.captured, "no", v.note);
  assert.match(
    v.note,
    /the command was not interrupted: its sleep 45 ended by itself \(exit code 0\)/,
  );
  // no sleep recorded at all: nothing shows the interrupt
  const none = judgePlay(play, { ...carriedOn, sleeps: [] }, served, ["node"]);
  assert.equal(none.captured, "no");
  assert.match(none.note, /sleep 45 is not in the recording/);
  // running at the end but not left running in fact (its exit lost): not evidence either
  const unended = {
    ...carriedOn,
    sleeps: [{ ...carriedOn.sleeps[0], ended: false, exit_code: null }],
  };
  assert.equal(judgePlay(play, unended, served, ["node"]).captured, "no");
});

Deno.test("compaction not played: n/a only when the run held, else no", () => {
  const play = { kind: "resume", compaction: true } as const;
  const called = calledWith("Bash", { messages: [{}], tools: [{}] });
  const withCall = { messages: [{}, { content: [{ type: "tool_use" }] }, {}], tools: [{}] };
  // no compaction: the summary's turn served the next request, the resumed one took turn 3 of 4
  const served = { requests: [called, mainReq(1, 1, withCall), mainReq(2, 2, withCall)], turns: 4 };
  const conv = { processes: 2, conversation_vias: "history,resumed" };
  const held = facts({
    calls: [call(conv), call({ ...conv, conversation_via: "history" }), call({ ...conv, pid: 20 })],
  });
  const na = judgePlay(play, held, served);
  assert.equal(na.captured, "n/a", na.note);
  assert.match(na.note, /did not compact.*3 main calls of 2 processes in one conversation/);
  // Qwen Code 0.24.4: tried to compress, then exited 1
  const failed = judgePlay(play, { ...held, exitCode: 1 }, served);
  assert.equal(failed.captured, "no");
  assert.match(failed.note, /the run failed: the agent exited 1/);
  // the resume part broke: the second process's calls in a conversation of their own
  const split = facts({
    calls: [
      call({ processes: 1, conversation_vias: "history" }),
      call({ pid: 20, conversation_id: 3 }),
    ],
  });
  const broke = judgePlay(play, split, served);
  assert.equal(broke.captured, "no");
  assert.match(broke.note, /its resume does not hold: .*in 2 conversations, not one/);
  // stopped early (copilot 1.0.12, gemini 0.61.0: after scripted turn 3 of 4 under the old rule
  // was n/a whatever the resume showed): the resumed process sent nothing
  const early = judgePlay(play, held, { requests: served.requests.slice(0, 2), turns: 4 });
  assert.equal(early.captured, "no");
  assert.match(early.note, /did not send the session's history/);
  // a summary asked for (a summariser's request, no tools) and not gone on from (Qwen Code
  // 0.12.0): the summary's turn was used, the resumed process took the last
  const summariser = mainReq(1, 1, { messages: [{}] });
  const asked = [called, summariser, mainReq(2, 2, withCall), mainReq(3, 3, withCall)];
  const askedNa = judgePlay(play, held, { requests: asked, turns: 4 });
  assert.equal(askedNa.captured, "n/a", askedNa.note);
  // nothing recovered and the base check failed: never n/a
  assert.equal(cellOf(false, false, { captured: "n/a", note: "" }), "no");
});

Deno.test("compaction: one the analysis counts but the wire check misses is judged, not n/a", () => {
  // a compaction that keeps the latest items, tool call included (Gemini CLI, Qwen Code style)
  const play = { kind: "resume", compaction: true } as const;
  const called = calledWith("Bash");
  const withCall = { messages: [{}, { content: [{ type: "tool_use" }] }, {}], tools: [{}] };
  const reqs = [called, mainReq(1, 1, withCall), mainReq(2, 2, withCall), mainReq(3, 3, withCall)];
  const conv = { processes: 2, compactions: 1, conversation_vias: "history,resumed,summary" };
  const counted = facts({
    calls: [call(conv), call({ ...conv, conversation_via: "summary" }), call({ ...conv, pid: 20 })],
  });
  assert.equal(judgePlay(play, counted, { requests: reqs, turns: 4 }).captured, "yes");
  // counted but one turn short: no, not n/a
  const short = judgePlay(play, counted, { requests: reqs.slice(0, 3), turns: 4 });
  assert.equal(short.captured, "no", short.note);
});
