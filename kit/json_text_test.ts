/** JSON text with a leading byte order mark reads as without; one anywhere else is no JSON. */
import assert from "node:assert/strict";
import { parseJsonText } from "./json_text.ts";

Deno.test("parseJsonText: a leading byte order mark is ignored (RFC 8259 §8.1), one elsewhere is not", () => {
  assert.deepEqual(parseJsonText('\uFEFF{"a": [1]}'), { a: [1] });
  assert.deepEqual(parseJsonText('{"a": [1]}'), { a: [1] });
  assert.throws(() => parseJsonText('\uFEFF\uFEFF{"a": 1}'), SyntaxError);
  assert.throws(() => parseJsonText('{"a": 1}\uFEFF'), SyntaxError);
});
