/** Arrow stream files: readable after every flush, without EOS, and when cut mid-batch. */
import assert from "node:assert/strict";
import { ArrowStreamWriter, readArrowFile, readArrowRows } from "./arrow_writer.ts";
import { type ProcessRow, processTable } from "./schema.ts";

function row(i: number): ProcessRow {
  return {
    ts_ns: BigInt(i) * 1000n,
    pid: 100 + i,
    ppid: 1,
    tid: 100 + i,
    uid: 0,
    kind: i % 2 ? "exec" : "fork",
    comm: `c${i}`,
    filename: i % 2 ? `/bin/x${i}` : null,
    argv: i % 2 ? ["x", String(i), "ü"] : null,
    argv_truncated: false,
    cwd: i % 2 ? "/" : null,
    exit_code: null,
    exit_signal: null,
  };
}

Deno.test("rows round-trip, flush by flush, 0600, readable with and without EOS", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/process.arrow`;
  const w = ArrowStreamWriter.create(path, processTable);
  assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  assert.deepEqual(readArrowRows(path), [], "schema only: an empty, valid stream");
  for (let i = 0; i < 3; i++) w.append(row(i));
  w.flush();
  assert.deepEqual(readArrowRows(path), [0, 1, 2].map(row));
  w.append(row(3));
  w.flush();
  assert.equal(readArrowRows(path).length, 4, "no end-of-stream marker yet, still readable");
  w.close();
  assert.deepEqual(readArrowRows(path), [0, 1, 2, 3].map(row));
  assert.equal(w.rowsWritten, 4);
  assert.throws(() => ArrowStreamWriter.create(path, processTable), "never overwrites");
});

Deno.test("a file cut in the middle of a batch gives the batches before it", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/process.arrow`;
  const w = ArrowStreamWriter.create(path, processTable);
  w.append(row(1));
  w.flush();
  const good = (await Deno.stat(path)).size;
  for (let i = 0; i < 50; i++) w.append(row(i));
  w.flush();
  w.close();
  const full = await Deno.readFile(path);
  await Deno.writeFile(path, full.subarray(0, good + Math.floor((full.length - good) / 2)));
  const r = readArrowFile(path);
  assert.deepEqual(r.rows, [row(1)]);
  assert.ok(r.damaged, "and says the rest is damaged");
  assert.throws(() => readArrowRows(path));
});
