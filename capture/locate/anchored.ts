/**
 * Searching bytes for several short needles at once, in one pass: the needles share one byte
 * (the anchor: '/' in the locator's source-path markers, the NUL that ends every name in a
 * string table), the native Uint8Array indexOf finds each anchor in the haystack (about a
 * gigabyte a second), and only there are the needles compared. Deno's node:buffer indexOf
 * searched a needle at about 200 MB/s, once per needle (libduckdb's 21 MB of read-only data,
 * seven needles: 0.8 s).
 */

export interface AnchoredNeedles {
  anchor: number;
  /** each needle's bytes and where the anchor is in it (its first occurrence) */
  needles: { bytes: Uint8Array; at: number }[];
  /** the bytes some needle has just before its anchor / just after it (one not starting with
   * it: before; else after): most anchors in the haystack are passed over at one look */
  before: Uint8Array;
  after: Uint8Array;
}

/** The needles (as latin1 text) around `anchor`, which each must contain, with a byte more. */
export function anchoredNeedles(texts: readonly string[], anchor: string): AnchoredNeedles {
  const a = anchor.charCodeAt(0);
  const needles = texts.map((t) => {
    const bytes = Uint8Array.from(t, (c) => c.charCodeAt(0));
    const at = bytes.indexOf(a);
    if (at < 0 || bytes.length < 2) {
      throw new Error(
        `needle ${JSON.stringify(t)} is not the anchor ${JSON.stringify(anchor)} and more`,
      );
    }
    return { bytes, at };
  });
  const before = new Uint8Array(256), after = new Uint8Array(256);
  for (const { bytes, at } of needles) {
    if (at > 0) before[bytes[at - 1]] = 1;
    else after[bytes[at + 1] ?? 0] = 1;
  }
  return { anchor: a, needles, before, after };
}

/**
 * Each occurrence of a needle lying whole inside `hay`, as [needle index, start], in the order
 * of their anchors; needles `skip` names are not compared.
 */
function* matches(
  hay: Uint8Array,
  n: AnchoredNeedles,
  skip: (k: number) => boolean = () => false,
): Generator<[number, number]> {
  const { before, after } = n;
  for (let i = hay.indexOf(n.anchor); i >= 0; i = hay.indexOf(n.anchor, i + 1)) {
    if (!before[hay[i - 1]] && !after[hay[i + 1]]) continue;
    for (let k = 0; k < n.needles.length; k++) {
      if (skip(k)) continue;
      const { bytes, at } = n.needles[k];
      const start = i - at;
      if (start < 0 || start + bytes.length > hay.length) continue;
      let j = 0;
      while (j < bytes.length && hay[start + j] === bytes[j]) j++;
      if (j === bytes.length) yield [k, start];
    }
  }
}

/**
 * Marks in `found` (by needle index) each needle that occurs in `hay`, stopping early when all
 * are found. Needles with the same `alike` key count as one: when one is found, all are marked
 * (a caller wanting to know only whether one of them occurs stops sooner). A needle is found
 * only when it lies whole inside `hay`: a caller that reads a big range in chunks overlaps them
 * by the longest needle.
 */
export function findNeedles(
  hay: Uint8Array,
  n: AnchoredNeedles,
  found: boolean[],
  alike?: readonly unknown[],
): void {
  let left = found.filter((f) => !f).length;
  if (!left) return;
  for (const [k] of matches(hay, n, (k) => found[k])) {
    for (let j = 0; j < found.length; j++) {
      if (!found[j] && (j === k || (alike && alike[j] === alike[k]))) {
        found[j] = true;
        left--;
      }
    }
    if (!left) return;
  }
}

/** Where each needle begins in `hay`, every occurrence (by needle index). */
export function needlePositions(hay: Uint8Array, n: AnchoredNeedles): number[][] {
  const out: number[][] = n.needles.map(() => []);
  for (const [k, start] of matches(hay, n)) out[k].push(start);
  return out;
}
