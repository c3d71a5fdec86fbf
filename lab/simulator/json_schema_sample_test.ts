/** Tests for the schema-driven answers to structured side requests. */

import assert from "node:assert/strict";
import { sampleFromSchema } from "./json_schema_sample.ts";

Deno.test("the Gemini router gets complexity_score >= 1", () => {
  const v = sampleFromSchema({
    type: "OBJECT",
    properties: {
      complexity_reasoning: { type: "STRING" },
      complexity_score: { type: "INTEGER" },
    },
    required: ["complexity_reasoning", "complexity_score"],
  }) as Record<string, unknown>;
  assert.ok(typeof v.complexity_reasoning === "string");
  assert.ok((v.complexity_score as number) >= 1);
});

Deno.test("next speaker is the user; loop checks see no loop", () => {
  assert.deepEqual(
    sampleFromSchema({
      type: "object",
      properties: {
        reasoning: { type: "string" },
        next_speaker: { type: "string", enum: ["model", "user"] },
      },
    }),
    { reasoning: "Scripted scenario.", next_speaker: "user" },
  );
  const loop = sampleFromSchema({
    type: "object",
    properties: { unproductive_state_confidence: { type: "number" } },
  }) as Record<string, number>;
  assert.equal(loop.unproductive_state_confidence, 0);
});

Deno.test("generic schemas: enums, minimums, arrays, nested objects", () => {
  assert.deepEqual(
    sampleFromSchema({
      type: "object",
      properties: {
        kind: { enum: ["a", "b"] },
        n: { type: "integer", minimum: 3 },
        list: { type: "array", items: { type: "string" }, minItems: 2 },
        nested: { type: "object", properties: { ok: { type: "boolean" } } },
        either: { anyOf: [{ type: "number" }, { type: "string" }] },
      },
    }),
    {
      kind: "a",
      n: 3,
      list: ["scripted", "scripted"],
      nested: { ok: false },
      either: 0,
    },
  );
});
