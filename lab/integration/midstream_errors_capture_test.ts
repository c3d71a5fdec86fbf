/**
 * The model API failing in the middle of its answers (lab/scenarios/midstream_errors.json),
 * under capture, with the five pinned agents: the first turn's stream carries the provider's
 * own overload error after its first events (a 200), the second turn's connection drops after
 * its first events. What a user checks: each failed attempt is an `llm_calls` row with its
 * outcome (`error` with the provider's error type, or `cut`), the agent's retry is a call of
 * the same conversation, the final answer is there when the agent went on, and the only
 * problem is the dropped connection's answer, cut short. What each agent does (measured):
 * Claude Code, Codex (over its WebSocket, no fallback to HTTP) and opencode retry both; Qwen
 * Code retries the error and resumes the dropped answer by sending back what it got (the
 * server serves the rest of the turn); Gemini CLI retries the error but gives up on the
 * dropped connection (exit 1, "other side closed"). See reports/coverage/midstream_errors.md.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { runAgent } from "../agents/mod.ts";
import type { AgentName } from "../agents/agent_profile.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { prices } from "../../analysis/testing.ts";
import { captureCommand } from "../../capture/command_line.ts";
import { checkRows, show } from "./check_queries.ts";

const SCENARIO = filePath("../scenarios/midstream_errors.json", import.meta.url);

interface Expect {
  /** the provider's name of the overload error the first turn's stream carried */
  errorType: string;
  /** how the main calls ended, in order */
  outcomes: string[];
  exitCode: number;
  /** the agent went on after the dropped connection and answered */
  answers: boolean;
}

/** An agent that retries (or resumes) both failures and answers. */
const goesOn = (errorType: string): Expect => ({
  errorType,
  outcomes: ["error", "complete", "cut", "complete"],
  exitCode: 0,
  answers: true,
});

const EXPECT: Record<AgentName, Expect> = {
  claude: goesOn("overloaded_error"),
  codex: goesOn("server_error"),
  opencode: goesOn("overloaded_error"),
  qwen: goesOn("server_error"),
  // retries the error, gives up on the dropped connection
  gemini: {
    errorType: "UNAVAILABLE",
    outcomes: ["error", "complete", "cut"],
    exitCode: 1,
    answers: false,
  },
};

for (const agent of Object.keys(EXPECT) as AgentName[]) {
  const want = EXPECT[agent];
  Deno.test({
    name:
      `${agent}: errors and dropped connections mid-answer, each attempt a call with its outcome`,
    ignore: skipWithoutRoot(),
    async fn() {
      const out = `${await Deno.makeTempDir({ prefix: `sl-midstream-${agent}-` })}/rec`;
      const result = await runAgent({
        agent,
        scenario: SCENARIO,
        wrap: (argv, again) =>
          captureCommand(out, argv, again ? ["--quiet", "--force"] : undefined),
      });
      assert.equal(result.exitCode, want.exitCode, result.stderr.slice(-1500));
      assert.deepEqual(result.serverErrors, []);
      const main = result.requests.filter((q) => q.kind === "main");
      assert.deepEqual(
        main.map((q) => q.error ?? null),
        want.outcomes.map((o) =>
          o === "error"
            ? "scripted failure: error after 4"
            : o === "cut"
            ? "scripted failure: close after 4"
            : null
        ),
        "the server's log",
      );

      const s = await analyzeRecording(out, prices, { quiet: true });
      const calls = (await checkRows(s.db, "llm_calls_in_order")).filter((c) => c.kind === "main");
      assert.deepEqual(calls.map((c) => c.outcome), want.outcomes, show(calls));
      for (const c of calls) {
        // every attempt got its 200 (over a WebSocket no status at all)
        assert.equal(c.status, agent === "codex" ? null : 200, show(c));
        assert.equal(c.incomplete, c.outcome === "cut", show(c));
        if (c.outcome === "error") {
          assert.equal(c.error_type, want.errorType, show(c));
          assert.equal(c.error, "Overloaded", show(c));
          assert.equal(c.tool_call_count, 0, "the tool call came after the error");
        } else {
          assert.equal(c.error_type, null, show(c));
          assert.equal(c.error, null, show(c));
        }
        if (c.outcome !== "complete") {
          // tokens as far as told, and why
          assert.match(String(c.price_source), /(as far as reported|^unknown): /, show(c));
        }
      }
      // the retries continue the conversation: one for the session's main calls
      assert.equal(new Set(calls.map((c) => c.conversation_id)).size, 1, show(calls));
      const tools = await checkRows(s.db, "tool_calls_in_order");
      assert.equal(tools.length, 1, "one tool call: the failed attempt asked for none");
      assert.ok(String(tools[0].result_text).includes("midstream-marker"));
      const last = String(calls.at(-1)!.assistant_text);
      if (want.answers) {
        assert.equal(calls.at(-1)!.outcome, "complete");
        assert.match(
          agent === "qwen" ? String(calls.at(-2)!.assistant_text) + last : last,
          /It printed: midstream-marker\./,
        );
      } else {
        assert.match(last, /^It printed: midstream-marker\./, "what came before the drop");
      }

      // one problem: the dropped connection's answer, cut short (opencode also fetches npm
      // packages at start-up and stops reading some: not the model's)
      const problems = await checkRows(s.db, "problems");
      const model = problems.filter((p) => !/^GET \/[^ ]+\.tgz: /.test(String(p.message)));
      assert.equal(model.length, 1, show(problems));
      assert.equal(model[0].kind, "incomplete", show(model));
      assert.match(
        String(model[0].message),
        agent === "codex" ? /^WebSocket \/v1\/responses: .* is cut short/ : /^POST .* is cut short/,
      );
      if (agent !== "opencode") assert.equal(problems.length, 1, show(problems));
    },
  });
}
