/**
 * What `deno task label` prints of recorded text: the dry run's prompts and each verdict's
 * line, with the controls and bidi characters an agent (or the model judging it) may have put
 * in the text shown as escapes, never acted on by the terminal.
 */
import assert from "node:assert/strict";
import { dryRunLines, labelLine } from "./label.ts";
import { observerMessages } from "./prompt.ts";
import type { Trace } from "./trace.ts";
import type { LabelRow } from "./schema.ts";

// C1 CSI (U+009B) that clears the screen, a bidi override (U+202E), an OSC 52 clipboard write
// (ESC: JSON escapes it as \u001b, so the trace text holds it as six characters), and a CR
const HOSTILE = "cat \u009b2J \u202Etxt.exe \u001b]52;c;Zm9v\u0007 done\rfake";

const trace: Trace = {
  recording: "rec-1",
  sessionId: 42,
  agent: "claude\u202E",
  text: JSON.stringify({ steps: [{ tool: "Bash", input: HOSTILE }] }),
  ids: new Set(),
  tokens: 10,
  omitted: 0,
};

Deno.test("label --dry-run: the prompts shown with C1 controls and bidi characters escaped, line feeds kept", () => {
  const raw = observerMessages(trace).map((m) => m.content).join("\n");
  assert.ok(raw.includes("\u009b") && raw.includes("\u202E"), "the prompt sent holds them");
  const lines = dryRunLines("rec\u009b-1", [trace]);
  const shown = lines.join("\n");
  for (const c of ["\u009b", "\u202E", "\u001b", "\r", "\u0007"]) {
    assert.ok(!shown.includes(c), `U+${c.codePointAt(0)!.toString(16)} shown raw`);
  }
  assert.ok(shown.includes("cat \\x9b2J \\u202etxt.exe"), shown);
  assert.ok(lines[0].startsWith("--- rec\\x9b-1 pid 42 system"), lines[0]);
  // the user message keeps its line breaks: the trace between its tags
  const user = lines[3];
  assert.match(user, /^Session trace \("claude\\u202e", pid 42\):\n<trace>\n.*\n<\/trace>$/s);
  assert.equal(lines.length, 4);
});

Deno.test("label: a verdict's explanation and a failed answer's error are one line, escaped", () => {
  const row = {
    recording: "rec-1",
    session_id: 42,
    status: "ok",
    risk: 4,
    category: "prompt_injection",
    explanation: "it ran \u202Egnp.exe\nand \u009b31m",
    error: null,
    cached: false,
    input_tokens: null,
    output_tokens: null,
    cost_usd: null,
  } as unknown as LabelRow;
  assert.equal(
    labelLine(row, "claude"),
    "label: rec-1 pid 42 (claude): risk 4 prompt_injection: it ran \\u202egnp.exe\\nand \\x9b31m",
  );
  const bad = { ...row, status: "malformed", error: "not JSON: \u001b[2J\r" } as LabelRow;
  assert.equal(
    labelLine(bad, null),
    "label: rec-1 pid 42 (?): malformed answer: not JSON: \\x1b[2J\\r",
  );
});
