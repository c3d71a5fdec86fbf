/**
 * Positions in bytes joined from parts back to the stream offsets the parts came from: an HTTP
 * body's pieces (message_body.ts) and a WebSocket direction's calls (websocket_stream.ts).
 */

/** A piece of a stream: its bytes and the stream offset of its first byte. */
export interface OffsetPart {
  data: Uint8Array;
  offset: number;
}

/**
 * Maps a position in the parts joined to the stream offset of that byte. With `clamp`, a
 * position past a part's end maps to the part's last byte (wire positions of decoded bytes).
 */
export function offsetMap(
  parts: readonly OffsetPart[],
  { clamp = false }: { clamp?: boolean } = {},
): (pos: number) => number {
  const starts: number[] = [];
  let n = 0;
  for (const p of parts) (starts.push(n), n += p.data.length);
  return (pos: number) => {
    if (parts.length === 0) return 0;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    const into = pos - starts[lo];
    return parts[lo].offset +
      (clamp ? Math.min(into, Math.max(0, parts[lo].data.length - 1)) : into);
  };
}
