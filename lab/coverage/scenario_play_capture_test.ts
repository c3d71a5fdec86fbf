/**
 * As root: the coverage matrix plays its interrupt and resume scenarios on a real build
 * (scenario_play.ts). Claude Code 2.1.337 (in coverage_test.ts's sample, so installed there) is
 * stopped by Ctrl-C while its answer stalls and resumed by a second process, each under capture:
 * the row is `yes` and its note says what the judgement saw. Gemini CLI 0.1.1, older than its
 * `--resume`, is `n/a` for the resume with that reason, without a run. opencode 1.19.5, whose
 * compaction hands its summariser the conversation as text, and Qwen Code 0.24.4, which reckons
 * its compressed context from the summariser's usage, compact and are resumed in one
 * conversation (both `no` before session 34). About 2 min; the builds install on first use.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { BUILD_SPECS } from "./builds.ts";
import { coverBuild } from "./coverage.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";

const SCENARIOS = filePath("../scenarios/", import.meta.url);

async function covered(
  agent: "claude" | "gemini" | "opencode" | "qwen",
  version: string,
  scenario: string,
) {
  const dir = await Deno.makeTempDir({ prefix: "sl-cov-play-" });
  try {
    return await coverBuild(BUILD_SPECS[agent], { version }, true, {
      scenario: `${SCENARIOS}${scenario}.json`,
      recordingsDir: dir,
      log: () => {},
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "coverage plays Ctrl-C mid-answer on Claude Code 2.1.337: one cut call, said so",
  ignore: skipWithoutRoot(),
  sanitizeResources: false,
  async fn() {
    const r = await covered("claude", "2.1.337", "interrupt_stream");
    assert.equal(r.scenario, "interrupt-stream");
    assert.equal(r.captured, "yes", r.capture_note);
    assert.match(r.capture_note ?? "", /Ctrl-C reached claude/);
    assert.match(r.capture_note ?? "", /the interrupted call is there, outcome cut/);
  },
});

Deno.test({
  name:
    "coverage plays a resumed session on Claude Code 2.1.337: one conversation over two processes",
  ignore: skipWithoutRoot(),
  async fn() {
    const r = await covered("claude", "2.1.337", "resume");
    assert.equal(r.captured, "yes", r.capture_note);
    assert.match(r.capture_note ?? "", /3 main calls of 2 processes in one conversation/);
  },
});

Deno.test({
  name: "coverage: a build without its agent's resume is n/a for the resume, with the reason",
  ignore: skipWithoutRoot(),
  async fn() {
    const r = await covered("gemini", "0.1.1", "resume");
    assert.equal(r.captured, "n/a");
    assert.match(r.capture_note ?? "", /no --resume in this build/);
  },
});

Deno.test({
  name:
    "coverage plays opencode 1.19.5's compaction: its text-transcript summariser in the session's one conversation",
  ignore: skipWithoutRoot(),
  async fn() {
    const r = await covered("opencode", "1.19.5", "compaction");
    assert.equal(r.captured, "yes", r.capture_note);
    assert.match(
      r.capture_note ?? "",
      /of 2 processes in one conversation; 1 compaction\(s\) counted/,
    );
  },
});

Deno.test({
  name: "coverage plays Qwen Code 0.24.4's compaction: told what its summariser read, it goes on",
  ignore: skipWithoutRoot(),
  async fn() {
    const r = await covered("qwen", "0.24.4", "compaction");
    assert.equal(r.captured, "yes", r.capture_note);
    assert.match(r.capture_note ?? "", /1 compaction\(s\) counted/);
  },
});
