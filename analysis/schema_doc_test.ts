/** The committed schema reference matches the declarations, and every column is documented. */
import assert from "node:assert/strict";
import { ddl } from "../kit/columns.ts";
import { DOC_PATH, schemaDoc } from "./schema_doc.ts";
import { ALL_TABLES, VIEWS } from "./schema.ts";

Deno.test("analysis/SCHEMA.md is up to date (deno run -A analysis/schema_doc.ts --update)", () => {
  assert.equal(Deno.readTextFileSync(DOC_PATH), schemaDoc());
});

Deno.test("every table has a recording column and every column a description", () => {
  for (const t of ALL_TABLES) {
    assert.equal(t.columns[0].name, "recording", t.name);
    const sql = ddl(t);
    for (const c of t.columns) {
      assert.ok(c.doc.length > 3, `${t.name}.${c.name} has a description`);
      assert.ok(sql.includes(`"${c.name}"`));
    }
    assert.equal(new Set(t.columns.map((c) => c.name)).size, t.columns.length, `${t.name}: unique`);
  }
  for (const v of VIEWS) assert.ok(v.doc.length > 10);
});
