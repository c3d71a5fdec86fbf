/** Tests where a case-study notebook finds its recording, and what it says when there is none. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { caseRecording, datasetRecordings, envVarOf, MissingInput } from "./case_input.ts";

function fakeRecording(dir: string) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "manifest.json"), "{}");
}

Deno.test("the environment variable wins, and must name a recording", () => {
  const root = mkdtempSync(join(tmpdir(), "sightline-case-"));
  try {
    const rec = join(root, "anywhere");
    fakeRecording(rec);
    fakeRecording(join(root, "datasets", "loop-claude"));
    const env = (v: Record<string, string>) => (n: string) => v[n];
    assert.equal(envVarOf("loop"), "SIGHTLINE_CASE_LOOP");
    assert.equal(
      caseRecording("loop", env({ SIGHTLINE_CASE_LOOP: rec }), join(root, "datasets")),
      rec,
    );
    assert.throws(
      () => caseRecording("loop", env({ SIGHTLINE_CASE_LOOP: root }), join(root, "datasets")),
      (e) => e instanceof MissingInput && /SIGHTLINE_CASE_LOOP=.*: not a recording/.test(e.message),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

Deno.test("datasets are searched for <study>-AGENT recordings, a few levels deep", () => {
  const root = mkdtempSync(join(tmpdir(), "sightline-case-"));
  try {
    fakeRecording(join(root, "case-studies", "injection-gemini"));
    fakeRecording(join(root, "case-studies", "injection-claude"));
    mkdirSync(join(root, "injection-empty")); // no manifest: not a recording
    fakeRecording(join(root, "team-claude-gemini-codex"));
    assert.deepEqual(datasetRecordings("injection", root), [
      join(root, "case-studies", "injection-claude"),
      join(root, "case-studies", "injection-gemini"),
    ]);
    assert.equal(
      caseRecording("team", () => undefined, root),
      join(root, "team-claude-gemini-codex"),
    );
    assert.throws(
      () => caseRecording("loop", () => undefined, root),
      (e) =>
        e instanceof MissingInput &&
        /no recording for the loop case study: set SIGHTLINE_CASE_LOOP=DIR/.test(e.message) &&
        /deno task case-studies -- --studies loop/.test(e.message),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
