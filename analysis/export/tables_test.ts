/**
 * The export's column rules hold for every declared table: the partition keys and the added
 * `*_at` timestamp columns never collide with a declared column (a reader would otherwise see
 * the path's value or the timestamp in place of the data), and every `*_ns` column is a time.
 */
import assert from "node:assert/strict";
import {
  EXPORT_NAMES,
  EXPORT_TABLES,
  isTimeColumn,
  PARTITION_KEYS,
  timestampName,
} from "./tables.ts";

Deno.test("export columns: no declared column is a partition key or an added timestamp", () => {
  for (const def of EXPORT_TABLES) {
    const names = new Set(def.columns.map((c) => c.name));
    for (const k of PARTITION_KEYS) assert.ok(!names.has(k), `${def.name}.${k}`);
    for (const c of def.columns) {
      if (isTimeColumn(c.name, c.type)) {
        assert.ok(!names.has(timestampName(c.name)), `${def.name}.${timestampName(c.name)}`);
      }
      if (c.name.endsWith("_ns")) {
        assert.equal(c.type, "int64", `${def.name}.${c.name} is a time in ns`);
      }
    }
  }
  assert.equal(new Set(EXPORT_NAMES).size, EXPORT_NAMES.length, "names are unique");
});
