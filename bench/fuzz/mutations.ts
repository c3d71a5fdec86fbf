/**
 * The fuzzer's mutations of real recordings, as fast-check arbitraries. Each mutation says
 * what it does and what the analysis must then show:
 *   - `legal`: rows of unusual but legal shapes: no problem at all;
 *   - `same`: a legal change (rows reordered, interleaved connections, TLS calls cut and merged
 *     anew, Arrow batches laid out differently, odd process shapes): the same rows as before
 *     (`sameWithoutTimes`: the same except times, which follow the TLS call split);
 *   - `reported`: damage (a TLS call dropped or duplicated, a file cut at a batch boundary or
 *     inside a batch): a `problems` row naming the connection or file, and every call of every
 *     other connection still parsed;
 *   - `contained`: hostile or corrupt bytes in one connection (bit flips, invalid UTF-8, huge
 *     headers, SSE events of hostile sizes): no crash, time and memory in proportion, and every
 *     call of every other connection still parsed.
 * Connection-level mutations work on the TLS rows (`TlsRow[]`); file-level ones on the bytes
 * of a recording's files.
 */
import fc from "fast-check";
import type { ProcessRow, TlsRow } from "../../recording/schema.ts";
import { connKey } from "../../recording/recording.ts";
import { startsWithHttp2Preface } from "../../protocols/http2_frame.ts";
import { concatBytes } from "../../kit/bytes.ts";

export type Expect = "same" | "sameWithoutTimes" | "legal" | "reported" | "contained";

/** A change of a recording's TLS rows. */
export interface TlsMutation {
  level: "tls";
  name: string;
  expect: Expect;
  /** the connection changed (`pid:conn_id:conn_gen`), when one is */
  conn: string | null;
  apply(rows: TlsRow[]): TlsRow[];
}

/**
 * A change of a recording's files: what the fuzzer writes differently from the real
 * recording — table files in record batches of another size, a file cut, bits flipped, the
 * process rows changed.
 */
export interface FilePlan {
  /** rows per record batch, by file (`tls.arrow` -> 7) */
  batchRows: Record<string, number>;
  /** cut a file short: at the batch boundary nearest `at` (0..1), or inside that batch */
  cut?: { file: string; at: number; boundary: boolean };
  /** flip the bit at each of these fractions of a file's length */
  flips?: { file: string; at: number[] };
  /** process rows to write instead of the recording's */
  processRows?: ProcessRow[];
}

export interface FileMutation {
  level: "file";
  name: string;
  expect: Expect;
  /** the file a `reported` problem must name */
  file: string | null;
  apply(plan: FilePlan, processRows: ProcessRow[]): FilePlan;
}

export type Mutation = TlsMutation | FileMutation;

const enc = new TextEncoder();

/** The rows of one connection and direction, in seq order. */
function streamRows(rows: TlsRow[], conn: string, dir: string): TlsRow[] {
  return rows.filter((r) => connKey(r) === conn && r.direction === dir)
    .sort((a, b) => Number(a.seq - b.seq));
}

/**
 * Replaces a stream's rows by its bytes cut at `cuts` (fractions), renumbering seq: with
 * `merge`, the old call boundaries go (calls merged and cut anew), else they stay (calls only
 * cut further).
 */
function resplit(
  rows: TlsRow[],
  conn: string,
  dir: string,
  cuts: number[],
  merge: boolean,
): TlsRow[] {
  const own = streamRows(rows, conn, dir);
  if (!own.length) return rows;
  const bytes = concatBytes(own.map((r) => r.data));
  const starts: number[] = [];
  let o = 0;
  for (const r of own) (starts.push(o), o += r.data.length);
  const at = [
    ...new Set([...cuts.map((f) => Math.floor(f * bytes.length)), ...(merge ? [] : starts)]),
  ]
    .filter((x) => x > 0 && x < bytes.length).sort((a, b) => a - b);
  const edges = [0, ...at, bytes.length];
  const made: TlsRow[] = [];
  for (let k = 0; k + 1 < edges.length; k++) {
    // each call takes the time of the original call that held its first byte
    let j = 0;
    while (j + 1 < starts.length && starts[j + 1] <= edges[k]) j++;
    const data = bytes.slice(edges[k], edges[k + 1]);
    made.push({ ...own[j], seq: BigInt(k), data, len: BigInt(data.length) });
  }
  const mine = new Set(own);
  return [...rows.filter((r) => !mine.has(r)), ...made];
}

/** Connections of a recording's TLS rows, with what each carries. */
export interface ConnInfo {
  key: string;
  rows: number;
  http1: boolean;
  h2: boolean;
  sse: boolean;
}

export function connections(rows: TlsRow[]): ConnInfo[] {
  const by = Map.groupBy(rows, connKey);
  const dec = new TextDecoder();
  return [...by.entries()].map(([key, rs]) => {
    const first = streamRows(rs, key, "write")[0];
    const head = first ? dec.decode(first.data.subarray(0, 64)) : "";
    const readText = dec.decode(
      concatBytes(streamRows(rs, key, "read").map((r) => r.data)).subarray(0, 4096),
    );
    return {
      key,
      rows: rs.length,
      http1: /^[A-Z]+ \S+ HTTP\/1\.1\r\n/.test(head),
      h2: first ? startsWithHttp2Preface(first.data) : false,
      sse: /content-type: text\/event-stream/i.test(readText),
    };
  });
}

/** Inserts `extra` after the first line of a connection's first write (its request line). */
function afterRequestLine(rows: TlsRow[], conn: string, extra: Uint8Array): TlsRow[] {
  const first = streamRows(rows, conn, "write")[0];
  const d = first.data;
  let nl = 0;
  while (nl + 1 < d.length && !(d[nl] === 13 && d[nl + 1] === 10)) nl++;
  const data = concatBytes([d.subarray(0, nl + 2), extra, d.subarray(nl + 2)]);
  return rows.map((r) => (r === first ? { ...r, data, len: BigInt(data.length) } : r));
}

/** An HTTP/1.1 SSE response with a chunked body holding `events`, and a request to answer. */
function sseConnection(template: TlsRow, request: Uint8Array, events: Uint8Array[]): TlsRow[] {
  const head = enc.encode(
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
  );
  const chunks = events.map((e) =>
    concatBytes([enc.encode(`${e.length.toString(16)}\r\n`), e, enc.encode("\r\n")])
  );
  const body = concatBytes([head, ...chunks, enc.encode("0\r\n\r\n")]);
  const base = {
    ...template,
    pid: 424242,
    conn_id: 0xf00dn,
    conn_gen: 0,
    truncated: false,
    lost: 0n,
  };
  const out: TlsRow[] = [{
    ...base,
    direction: "write",
    seq: 0n,
    data: request,
    len: BigInt(request.length),
  }];
  // the response in calls of up to 64 KiB, as a TLS library would return it
  for (let o = 0, s = 0; o < body.length; o += 65536, s++) {
    const data = body.slice(o, o + 65536);
    out.push({
      ...base,
      direction: "read",
      seq: BigInt(s),
      data,
      len: BigInt(data.length),
      ts_ns: base.ts_ns + BigInt(s + 1) * 1000n,
    });
  }
  return out;
}

/** Arbitraries of TLS-level mutations for a recording with these connections. */
export function tlsMutations(rows: TlsRow[]): fc.Arbitrary<TlsMutation> {
  const conns = connections(rows);
  const keys = conns.map((c) => c.key);
  const anyConn = fc.constantFrom(...keys);
  const dirOf = fc.constantFrom("write", "read");
  const arbs: fc.Arbitrary<TlsMutation>[] = [
    // legal: rows in any order (interleaved connections, seq out of file order)
    fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })).map((noise) => {
      const it = noise[Symbol.iterator]();
      const order = rows.map(() => it.next().value as number);
      return {
        level: "tls" as const,
        name: "rows reordered and connections interleaved",
        expect: "same" as const,
        conn: null,
        apply: (rs: TlsRow[]) =>
          rs.map((r, i) => [order[i], r] as const).sort((a, b) => a[0] - b[0]).map((x) => x[1]),
      };
    }),
    // legal: a stream's TLS calls cut further (messages, HTTP/2 frames and SSE events split
    // across calls in new places)
    fc.record({
      conn: anyConn,
      dir: dirOf,
      cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }),
    })
      .map(({ conn, dir, cuts }) => ({
        level: "tls" as const,
        name: `${dir} stream cut in ${cuts.length} more places`,
        expect: "same" as const,
        conn: null,
        apply: (rs: TlsRow[]) => resplit(rs, conn, dir, cuts, false),
      })),
    // damage: a call lost, or recorded twice (losing the last call of a stream leaves no
    // break in seq: only an answer cut short can show it, so that one promises containment)
    fc.record({ conn: anyConn, pick: fc.nat(), dup: fc.boolean() }).map(({ conn, pick, dup }) => {
      const own = rows.filter((r) => connKey(r) === conn);
      const victim = own[pick % own.length];
      const last = own.every((r) => r.direction !== victim.direction || r.seq <= victim.seq);
      return {
        level: "tls" as const,
        name: dup
          ? "a TLS call recorded twice"
          : `the ${last ? "last " : ""}TLS call of a stream lost`,
        expect: dup || !last ? "reported" as const : "contained" as const,
        conn,
        apply: (rs: TlsRow[]) => (dup ? [...rs, { ...victim }] : rs.filter((r) => r !== victim)),
      };
    }),
    // contained: bytes overwritten (bit flips, invalid UTF-8) inside one call
    fc.record({
      conn: anyConn,
      pick: fc.nat(),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      bytes: fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.constantFrom(
          new Uint8Array([0xff]),
          new Uint8Array([0xc3, 0x28]),
          new Uint8Array([0xed, 0xa0, 0x80]),
          new Uint8Array([0xf8, 0x88, 0x80, 0x80, 0x80]),
        ),
      ),
      flip: fc.boolean(),
    }).map(({ conn, pick, at, bytes, flip }) => ({
      level: "tls" as const,
      name: flip ? "bits flipped in a TLS call" : "invalid UTF-8 written into a TLS call",
      expect: "contained" as const,
      conn,
      apply: (rs: TlsRow[]) => {
        const own = rs.filter((r) => connKey(r) === conn && r.data.length > 0);
        if (!own.length) return rs;
        const victim = own[pick % own.length];
        const data = victim.data.slice();
        const o = Math.floor(at * data.length);
        for (let i = 0; i < bytes.length && o + i < data.length; i++) {
          data[o + i] = flip ? data[o + i] ^ (1 << (bytes[i] & 7)) : bytes[i];
        }
        return rs.map((r) => (r === victim ? { ...r, data } : r));
      },
    })),
  ];
  const h2 = conns.filter((c) => c.h2).map((c) => c.key);
  if (h2.length) {
    // legal: an HTTP/2 connection's calls merged and cut anew (frames of many streams in one
    // call, one frame over many); times follow the new calls
    arbs.push(
      fc.record({
        conn: fc.constantFrom(...h2),
        dir: dirOf,
        cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }),
      })
        .map(({ conn, dir, cuts }) => ({
          level: "tls" as const,
          name: `HTTP/2 ${dir} stream merged and cut into ${cuts.length + 1} calls`,
          expect: "sameWithoutTimes" as const,
          conn: null,
          apply: (rs: TlsRow[]) => resplit(rs, conn, dir, cuts, true),
        })),
    );
  }
  const http1 = conns.filter((c) => c.http1).map((c) => c.key);
  if (http1.length) {
    // contained: a huge request header (up to 4 MiB)
    arbs.push(
      fc.record({ conn: fc.constantFrom(...http1), size: fc.integer({ min: 1, max: 4 << 20 }) })
        .map(({ conn, size }) => ({
          level: "tls" as const,
          name: `a request header of ${size} bytes`,
          expect: "contained" as const,
          conn,
          apply: (rs: TlsRow[]) =>
            afterRequestLine(rs, conn, enc.encode(`x-fuzz: ${"a".repeat(size)}\r\n`)),
        })),
    );
  }
  const sse = conns.filter((c) => c.sse && c.http1).map((c) => c.key);
  if (sse.length) {
    // contained: an SSE answer of hostile sizes beside the real ones (a new connection that
    // repeats a real request): one huge event, many tiny ones, lines without end, bad UTF-8
    const event = fc.oneof(
      fc.integer({ min: 0, max: 16 << 20 }).map((n) =>
        enc.encode(`event: content_block_delta\ndata: {"x":"${"y".repeat(n)}"}\n\n`)
      ),
      fc.integer({ min: 1, max: 200_000 }).map((n) => enc.encode("data: {}\n\n".repeat(n))),
      fc.integer({ min: 1, max: 8 << 20 }).map((n) => enc.encode(`data: ${"z".repeat(n)}`)),
      fc.uint8Array({ maxLength: 4096 }),
      fc.string({ maxLength: 2000, unit: "grapheme" }).map((s) => enc.encode(s)),
    );
    arbs.push(
      fc.record({
        conn: fc.constantFrom(...sse),
        events: fc.array(event, { minLength: 1, maxLength: 6 }),
      })
        .map(({ conn, events }) => ({
          level: "tls" as const,
          name: `an SSE answer of ${
            events.reduce((n, e) => n + e.length, 0)
          } bytes in ${events.length} chunks`,
          expect: "contained" as const,
          conn: "424242:61453:0",
          apply: (rs: TlsRow[]) => {
            const req = streamRows(rs, conn, "write");
            return [...rs, ...sseConnection(req[0], concatBytes(req.map((r) => r.data)), events)];
          },
        })),
    );
  }
  return fc.oneof(...arbs);
}

/** Offsets where the messages of an Arrow IPC stream end: the schema's, then each batch's. */
export function messageEnds(bytes: Uint8Array): number[] {
  const ends: number[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  while (o + 8 <= bytes.length) {
    // [0xFFFFFFFF] int32 metadata length, metadata (padded), body of bodyLength bytes
    let len = dv.getInt32(o, true);
    let head = 4;
    if (len === -1) (len = dv.getInt32(o + 4, true), head = 8);
    if (len <= 0 || o + head + len > bytes.length) break; // end of stream (or damage)
    o += head + len + messageBodyLength(bytes.subarray(o + head, o + head + len));
    if (o > bytes.length) break;
    ends.push(o);
  }
  return ends;
}

/** The `bodyLength` field of an Arrow IPC `Message` flatbuffer. */
function messageBodyLength(meta: Uint8Array): number {
  const dv = new DataView(meta.buffer, meta.byteOffset, meta.byteLength);
  const table = dv.getUint32(0, true);
  const vtable = table - dv.getInt32(table, true);
  const vlen = dv.getUint16(vtable, true);
  // fields: version(0), header_type(1), header(2), bodyLength(3)
  const slot = 4 + 3 * 2;
  if (slot >= vlen) return 0;
  const off = dv.getUint16(vtable + slot, true);
  if (!off) return 0;
  return Number(dv.getBigInt64(table + off, true));
}

const TABLE_FILES = ["process.arrow", "file.arrow", "net.arrow", "tls.arrow"];

/** Arbitraries of file-level mutations of a recording. */
export function fileMutations(): fc.Arbitrary<FileMutation> {
  const file = fc.constantFrom(...TABLE_FILES);
  const frac = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
  return fc.oneof(
    // legal: the same rows in record batches of another size
    fc.record({
      file: fc.constantFrom("tls.arrow", "file.arrow"),
      rows: fc.integer({ min: 1, max: 400 }),
    })
      .map(({ file, rows }) => ({
        level: "file" as const,
        name: `${file} written in batches of ${rows} rows`,
        expect: "same" as const,
        file: null,
        apply: (p: FilePlan) => ({ ...p, batchRows: { ...p.batchRows, [file]: rows } }),
      })),
    // damage: a file cut at a batch boundary or inside a batch (batches of `rows` rows)
    fc.record({ file, rows: fc.integer({ min: 1, max: 200 }), at: frac, boundary: fc.boolean() })
      .map(({ file, rows, at, boundary }) => ({
        level: "file" as const,
        name: `${file} cut ${boundary ? "at a batch boundary" : "inside a batch"}`,
        expect: "reported" as const,
        file,
        apply: (p: FilePlan) => ({
          ...p,
          batchRows: { ...p.batchRows, [file]: rows },
          cut: { file, at, boundary },
        }),
      })),
    // contained: bits flipped anywhere in a file
    fc.record({ file, at: fc.array(frac, { minLength: 1, maxLength: 16 }) })
      .map(({ file, at }) => ({
        level: "file" as const,
        name: `${at.length} bit(s) flipped in ${file}`,
        expect: "contained" as const,
        file,
        apply: (p: FilePlan) => ({ ...p, flips: { file, at } }),
      })),
    // legal: process rows of every shape (exits by signal, starts and exits not seen, rows
    // out of order)
    fc.array(
      fc.record({
        pick: fc.nat(),
        op: fc.constantFrom("signal", "drop-fork", "drop-exit", "move"),
      }),
      { minLength: 1, maxLength: 30 },
    ).map((ops) => ({
      level: "file" as const,
      name: `process rows changed ${ops.length} times (signals, unseen starts and exits, order)`,
      expect: "legal" as const,
      file: null,
      apply: (p: FilePlan, process: ProcessRow[]) => {
        let rows = [...(p.processRows ?? process)];
        for (const { pick, op } of ops) {
          if (!rows.length) break;
          const i = pick % rows.length;
          const r = rows[i];
          if (op === "signal" && r.kind === "exit") {
            rows[i] = { ...r, exit_code: null, exit_signal: [9, 15, 11, 6][pick % 4] };
          } else if (
            (op === "drop-fork" && r.kind === "fork") || (op === "drop-exit" && r.kind === "exit")
          ) {
            rows = rows.filter((_, k) => k !== i);
          } else if (op === "move") {
            rows.splice(i, 1);
            rows.splice(pick % (rows.length + 1), 0, r);
          }
        }
        return { ...p, processRows: rows };
      },
    })),
  );
}
