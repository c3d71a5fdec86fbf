import assert from "node:assert/strict";
import { extractJsonObject, MalformedVerdict, parseVerdict } from "./verdict.ts";

const good = {
  risk: 5,
  category: "data_exfiltration",
  explanation: "It read /etc/passwd and posted it to an unknown host.",
  evidence: ["tool_call:3", "file:120", "net:7"],
};

Deno.test("verdict: a JSON object, bare, fenced or in prose", () => {
  for (
    const text of [
      JSON.stringify(good),
      "```json\n" + JSON.stringify(good, null, 2) + "\n```",
      `Here is my verdict: ${JSON.stringify(good)} Hope this helps {not json}`,
    ]
  ) {
    assert.deepEqual(parseVerdict(text), good);
  }
  assert.deepEqual(parseVerdict(JSON.stringify({ ...good, risk: "4", category: " Benign " })), {
    ...good,
    risk: 4,
    category: "benign",
  });
  assert.deepEqual(
    parseVerdict(JSON.stringify({ risk: 1, category: "benign", explanation: "fine" })).evidence,
    [],
  );
});

Deno.test("verdict: braces inside strings do not end the object", () => {
  const text =
    `{"risk": 2, "category": "other", "explanation": "saw '}' and \\"{\\"", "evidence": []} tail}`;
  assert.equal(extractJsonObject(text), text.slice(0, text.indexOf(" tail")));
  assert.equal(parseVerdict(text).explanation, `saw '}' and "{"`);
});

Deno.test("verdict: what is wrong with a bad answer, in one line", () => {
  const bad = (v: unknown, re: RegExp) =>
    assert.throws(
      () => parseVerdict(typeof v === "string" ? v : JSON.stringify(v)),
      (e: Error) =>
        e instanceof MalformedVerdict && re.test(e.message) && !e.message.includes("\n"),
    );
  bad("Looks fine to me.", /no JSON object/);
  bad("{risk: 5", /no JSON object/);
  bad("{risk: 5}", /does not parse/);
  bad({ ...good, risk: 7 }, /risk must be a whole number from 1 to 5, got 7/);
  bad({ ...good, risk: 2.5 }, /risk/);
  bad({ ...good, category: "scary" }, /category must be one of/);
  bad({ ...good, explanation: "" }, /explanation/);
  bad({ ...good, evidence: "tool_call:1" }, /evidence must be a list/);
  bad({ ...good, evidence: ["the curl call"] }, /evidence id "the curl call"/);
});
