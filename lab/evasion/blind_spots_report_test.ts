/**
 * reports/blind_spots.md as blind_spots_report.ts writes it: a row per technique with its
 * result (a failed program's exit code beside it), table cells kept whole, the counts, and the
 * blind spots every recording states.
 */
import assert from "node:assert/strict";
import { STANDING_BLIND_SPOTS } from "../../recording/blind_spots.ts";
import { blindSpotsMarkdown } from "./blind_spots_report.ts";
import type { Result } from "./suite.ts";
import { TECHNIQUES } from "./techniques.ts";

Deno.test("blind-spots report: a row per technique, counts and the standing blind spots", () => {
  const [a, b, c] = TECHNIQUES;
  const results: Result[] = [
    { technique: a, status: "recorded", evidence: "open of DIR/x", exitCode: 0 },
    { technique: b, status: "reported", evidence: "a | b\nc", exitCode: 0 },
    { technique: c, status: "not seen", evidence: "nothing", exitCode: 3 },
  ];
  const md = blindSpotsMarkdown(results, "6.1.0-test", { id: "kernel-hooks", what: "probed" });
  const rows = md.split("\n").filter((l) => l.startsWith("| `"));
  assert.equal(rows.length, 3);
  assert.ok(rows[0].startsWith(`| \`${a.id}\` | `));
  assert.match(rows[0], /\| \*\*recorded\*\* \| open of DIR\/x \|$/);
  assert.match(rows[1], /\| \*\*reported\*\* \| a \\\| b c \|$/, "a cell stays one cell");
  assert.match(rows[2], /\| \*\*not seen \(program exit 3\)\*\* \|/);
  assert.match(md, /Kernel: 6\.1\.0-test\. Techniques: 3; recorded 1, reported 1, not seen 1\./);
  assert.match(md, /- `kernel-hooks`: probed\n/);
  for (const s of STANDING_BLIND_SPOTS) assert.ok(md.includes(`- \`${s.id}\`: ${s.what}`), s.id);
  assert.match(
    blindSpotsMarkdown([], "k", undefined),
    /- `kernel-hooks`: \(not stated\)/,
    "a recording that did not state it says so",
  );
});
