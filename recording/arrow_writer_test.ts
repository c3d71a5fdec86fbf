/** Arrow stream files: readable after every flush, without EOS, and when cut mid-batch. */
import assert from "node:assert/strict";
import {
  ArrowStreamWriter,
  gather,
  GATHER_DIRECT,
  HOLD_PIECE,
  HoldBudget,
  MAX_PENDING_BYTES,
} from "./arrow_writer.ts";
import { readArrowFile, readArrowRows } from "./arrow_reader.ts";
import { type FileRow, fileTable, type ProcessRow, processTable, tlsTable } from "./schema.ts";
import { seededRandom } from "../kit/random.ts";

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
    exe: i % 2 ? `/bin/x${i}` : null,
    exe_unlinked: i % 3 === 0,
    net_ns: i % 2 ? 4026531840n + BigInt(i) : null,
    mnt_ns: i % 4 ? 4026531841n : null,
  };
}

const LIBSSL = "/usr/lib/x86_64-linux-gnu/libssl.so.3";

/** A tls row numbered `i` with every column type: `size` bytes of data, `truncated`, `lib`. */
function tlsRow(i: number, size: number, truncated: boolean, lib: string) {
  return {
    ts_ns: BigInt(i) * 1_000_000_007n,
    pid: i,
    tid: -i | 0,
    conn_id: -(2n ** 62n) + BigInt(i),
    ctx_id: BigInt(i),
    conn_gen: i % 3,
    direction: i % 2 ? "read" : "write",
    seq: BigInt(i),
    len: BigInt(i * 10),
    data: Uint8Array.from({ length: size }, (_, j) => (i + j) & 0xff),
    truncated,
    lost: 0n,
    lib,
    fn: "SSL_write",
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

Deno.test("every column type, nulls and growth past the first buffers round-trip", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/tls.arrow`;

  const w = ArrowStreamWriter.create(path, tlsTable);
  const rows = Array.from(
    { length: 3000 },
    (_, i) => tlsRow(i, i % 700, i % 5 === 0, i % 7 ? LIBSSL : "ünïcödé ✓"),
  );
  for (const r of rows.slice(0, 1000)) w.append(r);
  w.flush();
  for (const r of rows.slice(1000)) w.append(r);
  w.close();
  assert.deepEqual(readArrowRows(path), rows);
  // nulls in every nullable type
  const p2 = `${dir}/process.arrow`;
  const w2 = ArrowStreamWriter.create(p2, processTable);
  const sparse = Array.from({ length: 600 }, (_, i) => ({
    ...row(i),
    argv: i % 3 === 0 ? null : i % 3 === 1 ? [] : ["a", "", "b".repeat(i)],
    exit_code: i % 4 ? null : i,
  }));
  for (const r of sparse) w2.append(r);
  w2.close();
  assert.deepEqual(readArrowRows(p2), sparse);
});

Deno.test("past MAX_PENDING_BYTES a batch is written at once; big values and reused buffers", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/tls.arrow`;

  const w = ArrowStreamWriter.create(path, tlsTable);
  const sizes = [100, 70_000, MAX_PENDING_BYTES + 5, 3, 300_000, 900_000, 0, 17];
  const rows = sizes.map((n, i) => ({
    ts_ns: BigInt(i),
    pid: i,
    tid: i,
    conn_id: 1n,
    ctx_id: 1n,
    conn_gen: 0,
    direction: "write",
    seq: BigInt(i),
    len: BigInt(n),
    data: Uint8Array.from({ length: n }, (_, j) => (i * 31 + j * 7) & 0xff),
    truncated: false,
    lost: 0n,
    // a long non-ASCII string does not fit what is left of a block
    lib: i % 2 ? "ü".repeat(3000 * i) : "libssl.so.3",
    fn: "SSL_write",
  }));
  for (const r of rows.slice(0, 3)) w.append(r);
  assert.equal(w.pending, 0, "the third row took it past the limit: written");
  assert.deepEqual(readArrowRows(path), rows.slice(0, 3));
  for (const r of rows.slice(3)) w.append(r);
  assert.equal(w.rowsWritten, 6);
  assert.equal(w.pending, 2);
  w.close();
  assert.deepEqual(readArrowRows(path), rows, "every row, in order, across the batches");
});

Deno.test("strings of every kind, encoded together at each batch, read back as written", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/file.arrow`;
  const w = ArrowStreamWriter.create(path, fileTable);
  const rand = seededRandom(18);
  // ASCII, other scripts, emoji, lone surrogates (U+FFFD in the file), empty; and the two
  // halves of a pair as the end of one row and the start of the next (not joined into one)
  const pieces = ["src/", "a", "données", "漢字", "😀", "\ud83d", "\ude00", "", "x".repeat(40)];
  const str = () => {
    let s = "";
    for (let k = rand() * 4; k > 0; k--) s += pieces[Math.floor(rand() * pieces.length)];
    return s;
  };
  const rows: FileRow[] = Array.from({ length: 4000 }, (_, i) => ({
    ts_ns: BigInt(i),
    pid: i,
    tid: i,
    op: i % 3 ? "open" : "rename",
    path: i % 50 === 7 ? "/end/\ud83d" : i % 50 === 8 ? "\ude00/start" : str(),
    path2: i % 3 ? null : str(),
    raw_path: i % 10 ? str() : "",
    raw_path2: i % 3 ? null : "ü",
    flags: 0n,
    mode: 0,
    ret: 0n,
    path_incomplete: false,
    length: null,
    owner: null,
    group: null,
    via: "syscall",
  }));
  // batches of every size, all-ASCII ones among them
  for (let i = 0; i < rows.length;) {
    const k = Math.floor(rand() * 300);
    for (const r of rows.slice(i, i + k)) w.append(r);
    w.flush();
    i += k;
  }
  for (let i = 0; i < 20; i++) w.append({ ...rows[i], path: "/ascii", raw_path: "ascii" });
  w.close();
  const asRead = (s: string | null) =>
    s === null ? null : new TextDecoder().decode(new TextEncoder().encode(s));
  const want = [
    ...rows,
    ...rows.slice(0, 20).map((r) => ({ ...r, path: "/ascii", raw_path: "ascii" })),
  ]
    .map((r) => ({
      ...r,
      path: asRead(r.path),
      path2: asRead(r.path2),
      raw_path: asRead(r.raw_path),
    }));
  assert.deepEqual(readArrowRows(path), want);
});

Deno.test("held-back strings: the batch is written at the row that takes it past the limit", async () => {
  const dir = await Deno.makeTempDir();

  for (const unit of ["a", "ü"]) {
    const path = `${dir}/tls_${unit.length}_${unit.charCodeAt(0)}.arrow`;
    const w = ArrowStreamWriter.create(path, tlsTable);
    const bytesPerRow = 200_000;
    const lib = unit.repeat(bytesPerRow / new TextEncoder().encode(unit).length);
    const r = {
      ts_ns: 0n,
      pid: 1,
      tid: 1,
      conn_id: 1n,
      ctx_id: 1n,
      conn_gen: 0,
      direction: "write",
      seq: 0n,
      len: 0n,
      data: new Uint8Array(0),
      truncated: false,
      lost: 0n,
      lib,
      fn: "SSL_write",
    };
    const rowsBelow = Math.floor(MAX_PENDING_BYTES / bytesPerRow); // 5: 1 000 000 bytes
    for (let i = 0; i < rowsBelow; i++) w.append(r);
    assert.equal(w.pending, rowsBelow, `${unit}: below the limit, nothing written yet`);
    w.append(r);
    assert.equal(w.pending, 0, `${unit}: the row past the limit wrote the batch`);
    assert.equal(w.rowsWritten, rowsBelow + 1);
    w.close();
    assert.equal(readArrowRows(path).length, rowsBelow + 1);
  }
});

Deno.test("a row that leaves out columns added later gets what older files read as", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/process.arrow`;
  const w = ArrowStreamWriter.create(path, processTable);
  const { exe: _exe, exe_unlinked: _unlinked, net_ns: _net, mnt_ns: _mnt, ...old } = row(1);
  w.append(old);
  w.append(row(3));
  w.close();
  const absent = Object.fromEntries(
    processTable.columns.filter((c) => c.absent).map((c) => [c.name, c.absent!.value]),
  );
  assert.ok("exe" in absent && "exe_unlinked" in absent);
  assert.deepEqual(readArrowRows(path), [{ ...row(1), ...absent }, row(3)]);
});

/**
 * A file on a disk of `room` bytes (raised to free space): a write past it writes what fits,
 * then fails as write(2) does on a full disk.
 */
class SmallDisk {
  bytes = new Uint8Array(0);
  pos = 0;
  constructor(public room: number) {}
  writeSync(b: Uint8Array): number {
    const n = Math.min(b.length, this.room - this.pos);
    if (n <= 0) throw new Error("No space left on device (os error 28)");
    if (this.pos + n > this.bytes.length) {
      const grown = new Uint8Array(this.pos + n);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes.set(b.subarray(0, n), this.pos);
    this.pos += n;
    return n;
  }
  truncateSync(len = 0) {
    this.bytes = this.bytes.slice(0, len);
  }
  seekSync(offset: number | bigint) {
    this.pos = Number(offset);
    return this.pos;
  }
  close() {}
  /** what a reader finds in the file now */
  read(): ReturnType<typeof readArrowFile> {
    const path = Deno.makeTempFileSync();
    Deno.writeFileSync(path, this.bytes);
    return readArrowFile(path);
  }
}

Deno.test("disk full: a refused batch is held, the file cut back to whole batches, written once there is room", () => {
  const disk = new SmallDisk(1 << 20);
  const w = ArrowStreamWriter.onFile("/small/process.arrow", processTable, disk);
  for (let i = 0; i < 10; i++) w.append(row(i));
  w.flush();
  disk.room = disk.bytes.length + 100; // the next batch half fits
  for (let i = 10; i < 20; i++) w.append(row(i));
  w.flush();
  assert.equal(w.held, 10);
  assert.equal(w.rowsWritten, 10);
  let now = disk.read();
  assert.equal(now.damaged, undefined, "cut back: the half-written batch is not in the file");
  assert.deepEqual(now.rows.map((r) => r.pid), [...Array(10)].map((_, i) => 100 + i));
  for (let i = 20; i < 30; i++) w.append(row(i));
  w.flush();
  assert.equal(w.held, 20, "later batches wait behind the held one");
  disk.room = 1 << 20; // the command deleted its file
  for (let i = 30; i < 35; i++) w.append(row(i));
  w.flush();
  assert.equal(w.held, 0);
  assert.equal(w.rowsWritten, 35);
  assert.match(w.firstError ?? "", /No space left/);
  w.close();
  now = disk.read();
  assert.equal(now.damaged, undefined);
  assert.deepEqual(now.rows.map((r) => r.pid), [...Array(35)].map((_, i) => 100 + i));
});

Deno.test("disk full to the end: held batches past the budget and at close are counted, earlier batches stay readable", () => {
  const disk = new SmallDisk(1 << 20);
  const budget = new HoldBudget(3000); // about one batch of 10 rows
  const w = ArrowStreamWriter.onFile("/small/process.arrow", processTable, disk, budget);
  for (let i = 0; i < 10; i++) w.append(row(i));
  w.flush();
  disk.room = disk.bytes.length + 9; // not even the end-of-stream marker fits
  for (let b = 1; b < 4; b++) {
    for (let i = 10 * b; i < 10 * b + 10; i++) w.append(row(i));
    w.flush();
  }
  assert.equal(w.held, 10, "the first refused batch is held");
  assert.equal(w.rowsLost, 20, "the budget has no room for the next two");
  assert.equal(budget.used > 0, true);
  assert.throws(() => w.close(), /process\.arrow: No space left on device.*30 rows not written/);
  assert.equal(w.rowsLost, 30);
  assert.equal(budget.used, 0, "the held bytes are given back");
  const now = disk.read();
  assert.equal(now.damaged, undefined);
  assert.equal(now.rows.length, 10);
});

Deno.test("disk nearly full: a refused batch goes in smaller batches, every column type and null read back", () => {
  const rand = seededRandom(7);
  // rows of every column type (tls: int64, int32, utf8, binary, bool; process: list_utf8 and
  // nulls), with values of varied sizes so that pieces start at every bit and byte position
  const tls = Array.from(
    { length: 3000 },
    (_, i) =>
      tlsRow(i, Math.floor(rand() * 300), rand() < 0.3, i % 7 ? LIBSSL : "ünïcödé ✓".repeat(i % 5)),
  );
  const proc = Array.from({ length: 3000 }, (_, i) => ({
    ...row(i),
    argv: i % 3 === 0 ? null : i % 3 === 1 ? [] : ["a", "", "b".repeat(i % 50), "ü"],
    exit_code: rand() < 0.5 ? null : i,
    cwd: rand() < 0.2 ? null : "/home/ü",
  }));
  for (const [def, rows] of [[tlsTable, tls], [processTable, proc]] as const) {
    const whole = new SmallDisk(1 << 30);
    const ref = ArrowStreamWriter.onFile(`/ref/${def.name}.arrow`, def, whole);
    for (const r of rows) ref.append(r as never);
    ref.flush();
    const batchBytes = whole.bytes.length;
    const disk = new SmallDisk(1 << 30);
    const w = ArrowStreamWriter.onFile(`/small/${def.name}.arrow`, def, disk);
    disk.room = Math.floor(batchBytes * 0.6); // room for about half the batch
    for (const r of rows) w.append(r as never);
    w.flush();
    assert.ok(w.rowsWritten > rows.length / 3, `${def.name}: pieces written (${w.rowsWritten})`);
    assert.equal(w.rowsWritten + w.held, rows.length, "the rest is held");
    const now = disk.read();
    assert.equal(now.damaged, undefined, `${def.name}: whole batches only`);
    assert.ok(now.batches > 1);
    assert.deepEqual(now.rows, readBack(whole).slice(0, w.rowsWritten), def.name);
    disk.room = 1 << 30;
    w.close();
    assert.deepEqual(disk.read().rows, readBack(whole), `${def.name}: and the held rest after`);
  }
});

/** The rows a disk's file holds, read cleanly. */
function readBack(disk: SmallDisk): Record<string, unknown>[] {
  const r = disk.read();
  assert.equal(r.damaged, undefined);
  return r.rows;
}

Deno.test("disk freed a little: held rows go out in pieces of HOLD_PIECE rows, in order, as room allows", () => {
  const disk = new SmallDisk(1 << 30);
  const w = ArrowStreamWriter.onFile("/small/process.arrow", processTable, disk);
  w.append(row(0));
  w.flush();
  const full = disk.bytes.length;
  disk.room = full; // nothing more fits
  const n = 4 * HOLD_PIECE + 10;
  for (let i = 1; i <= n; i++) w.append(row(i));
  w.flush();
  assert.equal(w.held, n);
  // room for about two pieces: what was held before the rest goes out first
  const probe = new SmallDisk(1 << 30);
  const p = ArrowStreamWriter.onFile("/probe.arrow", processTable, probe);
  for (let i = 1; i <= HOLD_PIECE; i++) p.append(row(i));
  p.flush();
  disk.room = full + Math.floor(2.5 * (probe.bytes.length - 0));
  w.flush();
  assert.equal(w.rowsWritten, 1 + 2 * HOLD_PIECE, "two whole pieces, the third does not fit");
  const now = disk.read();
  assert.equal(now.damaged, undefined);
  assert.deepEqual(
    now.rows.map((r) => r.pid),
    [...Array(1 + 2 * HOLD_PIECE)].map((_, i) => 100 + i),
  );
  disk.room = 1 << 30;
  w.close();
  assert.equal(disk.read().rows.length, n + 1);
});

Deno.test("a batch goes out in few writes: small parts gathered into one, long payloads as they are", () => {
  // a flush of a few rows: one write(2) for the whole message, not one per column buffer
  const disk = new SmallDisk(1 << 30);
  let writes = 0;
  const counting = {
    writeSync: (b: Uint8Array) => (writes++, disk.writeSync(b)),
    truncateSync: (n?: number) => disk.truncateSync(n),
    seekSync: (o: number | bigint) => disk.seekSync(o),
    close: () => {},
  };
  const w = ArrowStreamWriter.onFile("/count/process.arrow", processTable, counting);
  writes = 0;
  for (let i = 0; i < 5; i++) w.append(row(i));
  w.flush();
  assert.equal(writes, 1);
  // TLS rows with payloads past GATHER_DIRECT between small ones: same rows read back
  const tdisk = new SmallDisk(1 << 30);
  const t = ArrowStreamWriter.onFile("/count/tls.arrow", tlsTable, tdisk);
  const sizes = [3, GATHER_DIRECT + 5, 17, 2 * GATHER_DIRECT, 0, 1];
  sizes.forEach((size, i) => t.append(tlsRow(i, size, false, LIBSSL)));
  t.flush();
  t.close();
  const back = tdisk.read();
  assert.equal(back.damaged, undefined);
  assert.deepEqual(
    back.rows.map((r) => (r.data as Uint8Array).length),
    sizes,
  );
  assert.deepEqual(back.rows, sizes.map((size, i) => tlsRow(i, size, false, LIBSSL)));
});

Deno.test("gather: the parts' bytes in order, long parts not copied", () => {
  const rnd = seededRandom(7);
  for (let round = 0; round < 50; round++) {
    const parts = [...Array(1 + Math.floor(rnd() * 12))].map(() => {
      const long = rnd() < 0.25;
      const n = long ? GATHER_DIRECT + Math.floor(rnd() * 1000) : Math.floor(rnd() * 300);
      return Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
    });
    const want = Uint8Array.from(parts.flatMap((p) => [...p]));
    const out = gather(parts);
    assert.deepEqual(Uint8Array.from(out.flatMap((p) => [...p])), want);
    const long = parts.filter((p) => p.length >= GATHER_DIRECT);
    for (const p of long) assert.ok(out.some((o) => o === p), "a long part is written as it is");
    // each run of short parts between long ones is one chunk
    assert.ok(out.length <= 2 * long.length + 1, `${out.length} chunks for ${parts.length} parts`);
  }
});
