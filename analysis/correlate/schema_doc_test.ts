import assert from "node:assert/strict";
import { DOC_PATH, schemaDoc } from "./schema_doc.ts";
import { CORRELATE_TABLES } from "./schema.ts";
import { DETECT_TABLES } from "../detect/schema.ts";

Deno.test("analysis/correlate/SCHEMA.md is up to date (deno run -A analysis/correlate/schema_doc.ts --update)", async () => {
  assert.equal(Deno.readTextFileSync(DOC_PATH), await schemaDoc());
});

Deno.test("every column of links, findings and the tables behind them is documented", () => {
  for (const t of [...CORRELATE_TABLES, ...DETECT_TABLES]) {
    assert.ok(t.doc.length > 20, t.name);
    for (const c of t.columns) assert.ok(c.doc.length > 3, `${t.name}.${c.name}`);
  }
});
