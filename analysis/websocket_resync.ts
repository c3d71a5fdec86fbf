/**
 * Reading WebSocket frames from the middle of a stream (RFC 6455 5.2), where a recording
 * joined a connection after its upgrade or resumes one after a break: where whole frames
 * begin, and which compressed messages, decoded against unknown history (permessage-deflate,
 * RFC 7692, the window preset to NULs: `unknownHistory` in protocols/permessage_deflate.ts),
 * are the messages as sent. A back-reference to bytes never seen decodes to NULs, which JSON
 * never holds raw: a message that decodes to JSON with no NUL is whole; any other compressed
 * one is damaged, its bytes dropped and the reason kept on it.
 */
import { concatBytes } from "../kit/bytes.ts";
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
  /** whole frames in the run (its last frame may be cut short at the end of the bytes) */
  whole: number;
}

/** How many frame headers the search reads at most (a stream of tiny frames is not read). */
const HEADER_BUDGET = 8_000_000;

/** Runs that reach the end but break the continuation rules, looked at before giving up. */
const MAX_CANDIDATES = 16;

/**
 * The first offset from which frame headers, masked as `sender` masks, follow one another to
 * the end of `d` (the last frame may be cut short there), skipping continuation frames of a
 * message begun before it. The run must hold two whole frames, so a chance header in
 * compressed bytes is not taken for a frame; at offset 0 one whole frame ending exactly at the end
 * is enough, and a run of fewer otherwise is taken only when no later offset has one. Null: no such run.
 *
 * Each offset's header is read once: whether a run reaches the end from an offset is kept
 * (`reach`), so offsets whose runs join an earlier one stop there; the continuation rules are
 * checked only on a run that reaches the end. `stats.headers` counts the headers read.
 */
export function findFrameStart(
  d: Uint8Array,
  sender: Side,
  stats: { headers: number } = { headers: 0 },
): FrameStart | null {
  const limit = Math.min(d.length, SEARCH_LIMIT);
  const budget = { headers: HEADER_BUDGET };
  const reach = reachFinder(d, sender, budget, stats);
  let fallback: FrameStart | null = null;
  let failed = 0;
  for (let p = 0; p < limit && budget.headers > 0; p++) {
    const whole = reach(p);
    if (whole < 0 || (p > 0 && whole < 2)) continue;
    const run = frameRun(d, p, sender, budget, stats);
    if (!run) {
      if (++failed >= MAX_CANDIDATES) break;
      continue;
    }
    const start = { at: run.first, skipped: run.first, whole: run.whole };
    // a run from the very start that ends exactly at the end of the bytes is the frames as
    // sent (one whole frame, a lone request): a chance run inside its payload would not do
    if (run.whole >= 2 || (p === 0 && run.exact && run.whole >= 1)) return start;
    fallback ??= start;
  }
  return fallback;
}

/**
 * Whether frame headers follow one another from an offset to the end of `d`: -1 not, else how
 * many whole frames (0, 1, 2 standing for 2 or more). Kept per offset, so each header is read
 * once whatever offsets are asked.
 */
function reachFinder(
  d: Uint8Array,
  sender: Side,
  budget: { headers: number },
  stats: { headers: number },
): (p: number) => number {
  const n = d.length;
  // per offset: 0 unknown, 1 no run to the end, 2 + whole frames (at most 2)
  const memo = new Uint8Array(n);
  const path: number[] = [];
  return (p) => {
    path.length = 0;
    let q = p;
    let tail: number;
    for (;;) {
      if (q >= n) {
        tail = 2;
        break;
      }
      if (memo[q]) {
        tail = memo[q];
        break;
      }
      if (--budget.headers < 0) return -1;
      stats.headers++;
      const h = webSocketFrameHeader(d, q);
      if (h === "short") {
        // the stream ends inside a header
        tail = memo[q] = 2;
        break;
      }
      if (h === null || h.masked !== (sender === "client")) {
        tail = memo[q] = 1;
        break;
      }
      path.push(q);
      q += h.headerLength + h.payloadLength;
    }
    for (let i = path.length - 1; i >= 0; i--) {
      const next = i + 1 < path.length ? path[i + 1] : q;
      if (tail !== 1) tail = 2 + Math.min(2, tail - 2 + (next <= n ? 1 : 0));
      memo[path[i]] = tail;
    }
    return memo[p] === 1 ? -1 : memo[p] - 2;
  };
}

/** The run from `p` under the continuation rules: its first message's frame, its whole frames. */
function frameRun(
  d: Uint8Array,
  p: number,
  sender: Side,
  budget: { headers: number },
  stats: { headers: number },
): { whole: number; first: number; exact: boolean } | null {
  let q = p;
  let whole = 0;
  let first = -1;
  // a data message begun in the run is unfinished; one has begun in it
  let open = false;
  let begun = false;
  while (q < d.length) {
    if (--budget.headers < 0) return null;
    stats.headers++;
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
  return first < 0 ? null : { whole, first, exact: q === d.length };
}

/** The parts' bytes joined into one array. */
export function joinParts(parts: readonly Part[]): Uint8Array {
  return concatBytes(parts.map((p) => p.data));
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

/** A message decoded whole: JSON, with no NUL (in a compressed one, a reference to unseen bytes). */
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
 * Counts the data messages read from the middle of a stream: those not compressed that are
 * JSON (`plain`: exact, and what the LLM readers take), those not compressed that are not
 * (`other`: kept as they are, not counted as recovered, as a chance run of frames could make
 * them), the compressed ones that decoded whole, and the others, marked damaged (`error`, no
 * bytes).
 */
export function classifyResumed(
  messages: readonly WebSocketMessage[],
): { plain: number; other: number; recovered: number; damaged: number } {
  let plain = 0;
  let other = 0;
  let recovered = 0;
  let damaged = 0;
  for (const m of messages) {
    if (m.kind !== "text" && m.kind !== "binary") continue;
    if (!m.compressed) {
      if (wholeJson(m)) plain++;
      else other++;
    } else if (wholeJson(m)) recovered++;
    else {
      damaged++;
      m.error = m.error ??
        "damaged: it refers back to bytes sent before the recording began (decoded as NUL), " +
          "so it is not read";
      m.data = new Uint8Array(0);
    }
  }
  return { plain, other, recovered, damaged };
}
