/**
 * Reading WebSocket frames from the middle of a stream (RFC 6455 5.2), where a recording
 * joined a connection after its upgrade or resumes one after a break: where whole frames
 * begin, and which compressed messages, decoded against unknown history (permessage-deflate,
 * RFC 7692, the window preset to NULs: `unknownHistory` in protocols/permessage_deflate.ts),
 * are the messages as sent. A back-reference to bytes never seen decodes to NULs, which JSON
 * never holds raw: a message that decodes to JSON with no NUL is whole; any other compressed
 * one is damaged, its bytes dropped and the reason kept on it.
 */
import { webSocketFrameHeader } from "../protocols/websocket_frame.ts";
import type { WebSocketMessage } from "../protocols/mod.ts";

type Side = "client" | "server";

/** Bytes and the stream offset of their first byte. */
interface Part {
  data: Uint8Array;
  offset: number;
}

/** How far into a direction a first whole frame is looked for. */
const SEARCH_LIMIT = 256 * 1024;

/** Where frames begin in `d`, and how many continuation frames of an earlier message follow. */
export interface FrameStart {
  /** offset of the first frame that begins a message (or is a control frame) */
  at: number;
  /** bytes before `at`: the rest of a frame begun earlier, continuation frames of a message begun earlier */
  skipped: number;
}

/**
 * The first offset from which frame headers, masked as `sender` masks, follow one another to
 * the end of `d` (the last frame may be cut short there), skipping continuation frames of a
 * message begun before it. Past offset 0 the run must hold two whole frames, so a chance
 * header in compressed bytes is not taken for a frame. Null: no such run.
 */
export function findFrameStart(d: Uint8Array, sender: Side): FrameStart | null {
  const limit = Math.min(d.length, SEARCH_LIMIT);
  // headers read in all, bounded: runs that fail late (a broken frame near the end) would
  // otherwise cost a walk to it from every offset
  const budget = { headers: HEADER_BUDGET };
  for (let p = 0; p < limit && budget.headers > 0; p++) {
    const run = frameRun(d, p, sender, budget);
    if (run && (p === 0 || run.whole >= 2)) return { at: run.first, skipped: run.first };
  }
  return null;
}

/** How many frame headers the search reads at most. */
const HEADER_BUDGET = 4_000_000;

function frameRun(
  d: Uint8Array,
  p: number,
  sender: Side,
  budget: { headers: number },
): { whole: number; first: number } | null {
  let q = p;
  let whole = 0;
  let first = -1;
  // a data message begun in the run is unfinished; one has begun in it
  let open = false;
  let begun = false;
  while (q < d.length) {
    if (--budget.headers < 0) return null;
    const h = webSocketFrameHeader(d, q);
    if (h === null) return null;
    if (h === "short") break; // the stream ends inside a header
    if (h.masked !== (sender === "client")) return null;
    if (h.opcode === 0) {
      if (open) open = !h.fin;
      else if (begun) return null; // a continuation frame with no message begun
      else first = -1; // of a message begun before the run: the start is after it
    } else if (h.opcode <= 2) {
      if (open) return null; // a new message inside a fragmented one
      if (first < 0) first = q;
      open = !h.fin;
      begun = true;
    } else if (first < 0) first = q; // a control frame
    q += h.headerLength + h.payloadLength;
    if (q <= d.length) whole++;
  }
  return first < 0 ? null : { whole, first };
}

export function joinParts(parts: Part[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.data.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) (out.set(p.data, o), o += p.data.length);
  return out;
}

/** The parts from `skip` bytes in. */
export function dropFront(parts: Part[], skip: number): Part[] {
  const out: Part[] = [];
  for (const p of parts) {
    if (skip >= p.data.length) {
      skip -= p.data.length;
      continue;
    }
    out.push(skip ? { data: p.data.subarray(skip), offset: p.offset + skip } : p);
    skip = 0;
  }
  return out;
}

const dec = new TextDecoder("utf-8", { fatal: true });

/** A compressed message decoded whole: JSON, with no NUL (a reference to unseen bytes). */
function wholeJson(m: WebSocketMessage): boolean {
  if (m.error || m.incomplete || m.data.includes(0)) return false;
  try {
    JSON.parse(dec.decode(m.data));
    return true;
  } catch {
    return false;
  }
}

/**
 * Counts the data messages read from the middle of a stream: those not compressed (exact), the
 * compressed ones that decoded whole, and the others, marked damaged (`error`, no bytes).
 */
export function classifyResumed(
  messages: readonly WebSocketMessage[],
): { plain: number; recovered: number; damaged: number } {
  let plain = 0;
  let recovered = 0;
  let damaged = 0;
  for (const m of messages) {
    if (m.kind !== "text" && m.kind !== "binary") continue;
    if (!m.compressed) plain++;
    else if (wholeJson(m)) recovered++;
    else {
      damaged++;
      m.error = m.error ??
        "damaged: it refers back to bytes sent before the recording began (decoded as NUL), " +
          "so it is not read";
      m.data = new Uint8Array(0);
    }
  }
  return { plain, recovered, damaged };
}
