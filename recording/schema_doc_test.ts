/** The committed recording reference matches the table declarations. */
import assert from "node:assert/strict";
import { DOC_PATH, recordingDoc } from "./schema_doc.ts";
import { ddl } from "../kit/columns.ts";
import { CAPTURE_TABLES } from "./schema.ts";

Deno.test("recording/RECORDING.md is up to date (deno run -A recording/schema_doc.ts --update)", () => {
  assert.equal(Deno.readTextFileSync(DOC_PATH), recordingDoc());
});

Deno.test("every column is documented and the DDL names every column", () => {
  for (const t of CAPTURE_TABLES) {
    const sql = ddl(t);
    for (const c of t.columns) {
      assert.ok(c.doc.length > 3, `${t.name}.${c.name} has a description`);
      assert.ok(sql.includes(`"${c.name}"`));
    }
  }
});
