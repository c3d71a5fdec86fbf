/** `deno task reliability` keeps the hand-written sections below its marker when it rewrites. */
import assert from "node:assert/strict";
import { handWritten } from "./reliability.ts";

Deno.test("the hand-written part is everything from the marker on; none without it", () => {
  const marker = "<!-- hand-written below: kept when the report is rewritten -->";
  const hand = `${marker}\n\n## Hostile names\n\ntext\n`;
  assert.equal(handWritten(`# Reliability\n\n## Tests\n\n| a |\n\n${hand}`), hand);
  assert.equal(handWritten("# Reliability\n\n## Tests\n"), "");
});
