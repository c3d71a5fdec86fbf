/**
 * Rebuilds each TLS connection's two byte streams from the `tls` rows: per (pid, conn_id,
 * conn_gen) and direction, the rows in `seq` order, each with the stream offset of its first
 * byte and its timestamp, so any parsed event can be given the time of the TLS call that
 * carried its byte (`tsAt`).
 *
 * Damage is recorded, not repaired: a skipped `seq` (calls never recorded) or a `truncated` row
 * (bytes cut at --max-tls-bytes) is a *break*: the bytes after it do not follow the bytes
 * before it, so parsers must restart there. Bytes `lost` inside a row (zero-filled by capture)
 * keep the stream aligned and are recorded as ranges.
 */
import type { Columns, ColumnValues } from "../recording/arrow_input.ts";
import type { TlsRow } from "../recording/schema.ts";

export interface StreamBreak {
  /** stream offset where the bytes stop following on */
  offset: number;
  /** index (into `rows`) of the first row after the break */
  at: number;
  kind: "missing" | "truncated";
  /** seq numbers missing, or bytes cut */
  amount: number;
}

export interface DirectionStream {
  /** tls row numbers, in seq order */
  rows: number[];
  /** stream offset of each row's first byte */
  starts: number[];
  /** ts_ns of each row */
  ts: bigint[];
  /** total bytes */
  length: number;
  breaks: StreamBreak[];
  /** [start, end, lostBytes] of rows with lost bytes */
  lost: [number, number, number][];
  /** [start, end] of truncated rows */
  truncated: [number, number][];
}

export interface Connection {
  pid: number;
  connId: bigint;
  connGen: number;
  lib: string;
  write: DirectionStream;
  read: DirectionStream;
  /** earliest ts of the connection's rows */
  firstTs: bigint;
  /** cleartext HTTP over TCP, read from `ipc` (cleartext_http.ts), not TLS */
  cleartext?: boolean;
  /** cleartext: the server's address and port, the exchanges' `host` when a request has no Host */
  host?: string;
}

/** The tls columns the rebuild needs. */
export interface TlsView {
  length: number;
  pid: ArrayLike<number | null>;
  connId: ArrayLike<bigint | null>;
  connGen: ArrayLike<number | null>;
  direction: ArrayLike<string | null>;
  seq: ArrayLike<bigint | null>;
  len: ArrayLike<bigint | null>;
  data: ArrayLike<Uint8Array | null>;
  truncated: ArrayLike<boolean | null>;
  lost: ArrayLike<bigint | null>;
  ts: ArrayLike<bigint | null>;
  lib: ArrayLike<string | null>;
}

export function tlsView(c: Columns): TlsView {
  const v = c.values;
  return {
    length: c.length,
    pid: v.pid as ArrayLike<number>,
    connId: v.conn_id as ArrayLike<bigint>,
    connGen: v.conn_gen as ArrayLike<number>,
    direction: v.direction as ArrayLike<string>,
    seq: v.seq as ArrayLike<bigint>,
    len: v.len as ArrayLike<bigint>,
    data: v.data as ArrayLike<Uint8Array>,
    truncated: v.truncated as ArrayLike<boolean>,
    lost: v.lost as ArrayLike<bigint>,
    ts: v.ts_ns as ArrayLike<bigint>,
    lib: v.lib as ArrayLike<string>,
  };
}

/** The `tls` columns a view reads. */
const VIEW_COLUMNS = [
  "pid",
  "conn_id",
  "conn_gen",
  "direction",
  "seq",
  "len",
  "data",
  "truncated",
  "lost",
  "ts_ns",
  "lib",
] as const;

/** The view of `tls` rows given as objects (made by tests and the fuzzer). */
export function tlsViewOf(rows: readonly Pick<TlsRow, typeof VIEW_COLUMNS[number]>[]): TlsView {
  const values: Record<string, ColumnValues> = {};
  for (const k of VIEW_COLUMNS) values[k] = rows.map((r) => r[k]) as ColumnValues;
  return tlsView({ length: rows.length, values });
}

const EMPTY = new Uint8Array(0);

/** The bytes of tls row `i` (empty when null). */
export function rowData(t: TlsView, i: number): Uint8Array {
  return t.data[i] ?? EMPTY;
}

function direction(t: TlsView, rows: number[]): DirectionStream {
  rows.sort((a, b) => {
    const x = t.seq[a] ?? 0n;
    const y = t.seq[b] ?? 0n;
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  const s: DirectionStream = {
    rows,
    starts: new Array(rows.length),
    ts: new Array(rows.length),
    length: 0,
    breaks: [],
    lost: [],
    truncated: [],
  };
  let expect = 0n;
  let offset = 0;
  let cutBefore = 0;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    const seq = t.seq[i] ?? 0n;
    if (cutBefore > 0) {
      s.breaks.push({ offset, at: k, kind: "truncated", amount: cutBefore });
      cutBefore = 0;
    }
    if (seq !== expect) {
      s.breaks.push({ offset, at: k, kind: "missing", amount: Number(seq - expect) });
    }
    expect = seq + 1n;
    s.starts[k] = offset;
    s.ts[k] = t.ts[i] ?? 0n;
    const n = rowData(t, i).length;
    const lost = Number(t.lost[i] ?? 0n);
    if (lost > 0) s.lost.push([offset, offset + n, lost]);
    if (t.truncated[i]) {
      s.truncated.push([offset, offset + n]);
      cutBefore = Math.max(1, Number(t.len[i] ?? 0n) - n);
    }
    offset += n;
  }
  s.length = offset;
  return s;
}

/** Groups tls rows into connections, each with its two direction streams; by first ts. */
export function rebuildConnections(t: TlsView): Connection[] {
  const groups = new Map<string, { write: number[]; read: number[]; first: number }>();
  let g: { write: number[]; read: number[]; first: number } | undefined;
  for (let i = 0; i < t.length; i++) {
    // rows of one connection usually follow each other: its group is looked up once for them
    if (
      !g || i === 0 || t.pid[i] !== t.pid[i - 1] || t.connId[i] !== t.connId[i - 1] ||
      t.connGen[i] !== t.connGen[i - 1]
    ) {
      const key = `${t.pid[i]}:${t.connId[i]}:${t.connGen[i]}`;
      g = groups.get(key);
      if (!g) groups.set(key, g = { write: [], read: [], first: i });
    }
    (t.direction[i] === "write" ? g.write : g.read).push(i);
  }
  const out: Connection[] = [];
  for (const g of groups.values()) {
    const write = direction(t, g.write);
    const read = direction(t, g.read);
    let firstTs = t.ts[g.first] ?? 0n;
    if (write.ts.length && write.ts[0] < firstTs) firstTs = write.ts[0];
    if (read.ts.length && read.ts[0] < firstTs) firstTs = read.ts[0];
    out.push({
      pid: t.pid[g.first] ?? 0,
      connId: t.connId[g.first] ?? 0n,
      connGen: t.connGen[g.first] ?? 0,
      lib: t.lib[g.first] ?? "",
      write,
      read,
      firstTs,
    });
  }
  out.sort((a, b) =>
    a.firstTs < b.firstTs ? -1 : a.firstTs > b.firstTs ? 1 : a.pid - b.pid ||
      (a.connId < b.connId ? -1 : a.connId > b.connId ? 1 : a.connGen - b.connGen)
  );
  return out;
}

/** Index (into rows) of the row holding stream offset `offset` (the last row for offsets past the end). */
export function rowAt(s: DirectionStream, offset: number): number {
  let lo = 0;
  let hi = s.starts.length - 1;
  if (hi < 0) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s.starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  // rows of zero length share a start: take the last row that really holds the byte
  return lo;
}

/** ts_ns of the TLS call that carried the byte at `offset`; null for an empty stream. */
export function tsAt(s: DirectionStream, offset: number): bigint | null {
  const k = rowAt(s, offset);
  return k < 0 ? null : s.ts[k];
}

/** Damage inside [start, end) of a stream: breaks, truncated rows and lost bytes. */
export function damageIn(
  s: DirectionStream,
  start: number,
  end: number,
): { gap: boolean; truncated: boolean; lost: number } {
  let gap = false;
  let truncated = false;
  let lost = 0;
  // a message starting right at a break (where parsing resumed) is whole
  for (const b of s.breaks) if (b.offset > start && b.offset <= end) gap = true;
  for (const [a, z] of s.truncated) if (a < end && z > start) truncated = true;
  for (const [a, z, n] of s.lost) if (a < end && z > start) lost += n;
  if (truncated) gap = true;
  return { gap, truncated, lost };
}
