/**
 * What a capture could not write of the byte streams it records (TLS plaintext; ipc: JSON-RPC
 * on pipes and unix sockets, cleartext HTTP over TCP), counted by cause, and the manifest warning
 * lines that say so — one wording for TLS and ipc. Three causes:
 *
 * - cut: calls longer than --max-tls-bytes keep that many bytes (`truncated` rows);
 * - lost: bytes the kernel side could not deliver — a full ring buffer (a chunk or a whole call
 *   missing) or memory it could not read; holes are zero-filled in their row;
 * - withheld: bytes the capture had but did not write, so that no secret leaks unmasked: an
 *   HTTP/2 direction after a gap (its HPACK state cannot be resumed, so its header blocks
 *   cannot be parsed to mask them), a header block still incomplete at the end, or HTTP/2
 *   whose redactor's code could not be loaded. Their rows are written empty.
 *
 * In the rows both lost and withheld bytes count in `lost` (recording/schema.ts); a row of
 * `len` > 0 with empty `data` was withheld.
 */

export interface StreamDamage {
  /** calls cut at --max-tls-bytes */
  cut: number;
  /** bytes missing: ring buffer full, or unreadable memory */
  lost: bigint;
  /** bytes not written so that no secret leaks */
  withheld: bigint;
}

export const noDamage = (): StreamDamage => ({ cut: 0, lost: 0n, withheld: 0n });

/** Why withheld bytes were not written, as the warnings say it. */
export const WITHHELD_WHY = "withheld, written empty so no secret leaks unmasked (HTTP/2 after " +
  "a gap: its header compression state cannot be resumed)";

/**
 * The warning lines for one kind of stream (none when nothing was damaged): `scope` `tls` or
 * `ipc`, `what` the bytes ("JSON-RPC on pipes and unix sockets", ...).
 */
export function damageWarnings(
  scope: string,
  what: string,
  d: StreamDamage,
  maxTlsBytes: number,
): string[] {
  const lines: string[] = [];
  if (d.cut) {
    lines.push(`${scope}: ${d.cut} calls of ${what} cut at --max-tls-bytes ${maxTlsBytes}`);
  }
  if (d.lost) {
    lines.push(
      `${scope}: ${d.lost} bytes of ${what} lost (ring buffer full, or unreadable memory)`,
    );
  }
  if (d.withheld) lines.push(`${scope}: ${d.withheld} bytes of ${what} ${WITHHELD_WHY}`);
  return lines;
}
