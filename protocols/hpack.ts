/**
 * HPACK (RFC 7541) header block decoding for one direction of one HTTP/2 connection, plus
 * `maskHeaderBlock`, which blanks secret header values in place (same length) while keeping the
 * dynamic table consistent with what a decoder of the masked stream will see.
 *
 * The decoder is deliberately usable in two ways: `decode(block)` for a complete header block,
 * and `beginBlock` / `decodeNext` / `endBlock` to decode one field representation at a time from
 * a partial block (used by the HTTP/2 redactor so it only buffers the field in progress).
 * `decodeNext` returns `null` without touching any state when the representation is not complete
 * yet. Errors are thrown as `ProtocolError` and leave the decoder unusable (HPACK state is
 * undefined after a decoding error, RFC 7541 section 2.3 / RFC 9113 COMPRESSION_ERROR).
 */

import { HPACK_STATIC_TABLE, HPACK_STATIC_TABLE_LENGTH } from "./hpack_static_table.ts";
import { HUFFMAN_CODES, huffmanDecode, huffmanEncode } from "./hpack_huffman.ts";
import { latin1Decode, latin1Encode } from "./latin1.ts";
import { ProtocolError } from "./protocol_error.ts";

/** How a field was represented on the wire (RFC 7541 section 6). */
export type HpackRepresentation =
  | "indexed" // 6.1: name and value from the table
  | "literal-incremental" // 6.2.1: literal, added to the dynamic table
  | "literal-without-indexing" // 6.2.2
  | "literal-never-indexed"; // 6.2.3

/** Where a literal string's octets sit inside the header block. */
export interface HpackStringRange {
  /** Block offset of the first string octet (after the length prefix). */
  offset: number;
  /** Number of string octets on the wire (Huffman-coded length if `huffman`). */
  length: number;
  /** Whether the H bit was set. */
  huffman: boolean;
  /** Block offset of the octet carrying the H bit and the start of the length prefix. */
  prefixOffset: number;
}

export interface HpackField {
  name: string;
  value: string;
  representation: HpackRepresentation;
  /** True when the value came from a literal string (false for an index reference). */
  literal: boolean;
  /** The table index used for the whole field (indexed) or for the name (literal); else null. */
  index: number | null;
  /** Byte range of the value's string octets in the block; null for indexed fields. */
  valueRange: HpackStringRange | null;
  /** Byte range of the name's string octets when the name was a literal; else null. */
  nameRange: HpackStringRange | null;
  /** Block offsets of the whole representation: [start, end). */
  start: number;
  end: number;
}

/** Result of decoding one representation: a field, or a dynamic table size update. */
export type HpackStep =
  | { kind: "field"; field: HpackField; next: number }
  | { kind: "size-update"; size: number; next: number };

/**
 * Optional hook used by masking: called for every literal value before it is stored, with the
 * decoded field (value as received). Returning a string replaces the value both in the returned
 * field and in the dynamic table.
 */
export type HpackValueHook = (field: HpackField) => string | undefined;

export interface HpackDecoderOptions {
  /** Initial maximum dynamic table size (SETTINGS_HEADER_TABLE_SIZE). Default 4096. */
  tableSize?: number;
  /**
   * Largest size a dynamic table size update may set. This bounds memory; a passive observer
   * cannot always know the peer's SETTINGS in time, so it is a cap rather than the exact
   * protocol limit. Default 65536.
   */
  maxTableSize?: number;
  /** Largest decoded name or value, in octets. Default 65536. */
  maxStringLength?: number;
  /** Largest header list per block (sum of name + value + 32 per field). Default 1 MiB. */
  maxHeaderListSize?: number;
}

interface TableEntry {
  name: string;
  value: string;
  size: number;
}

/** Size of a table entry as defined by RFC 7541 section 4.1 (strings are latin1: 1 char = 1 octet). */
export function hpackEntrySize(name: string, value: string): number {
  return name.length + value.length + 32;
}

export class HpackDecoder {
  #maxTableSize: number;
  readonly #maxStringLength: number;
  readonly #maxHeaderListSize: number;
  /** Dynamic table, oldest first (dynamic index 1 is the last element). */
  #entries: TableEntry[] = [];
  #tableBytes = 0;
  #tableMax: number;
  #inBlock = false;
  #fieldsInBlock = 0;
  #listSize = 0;
  #failure: ProtocolError | null = null;

  constructor(options: HpackDecoderOptions = {}) {
    this.#tableMax = options.tableSize ?? 4096;
    this.#maxTableSize = Math.max(options.maxTableSize ?? 65536, this.#tableMax);
    this.#maxStringLength = options.maxStringLength ?? 65536;
    this.#maxHeaderListSize = options.maxHeaderListSize ?? 1024 * 1024;
  }

  /**
   * Raises the largest size a table size update may set (never lowers it), e.g. when the
   * decoding peer advertised a larger SETTINGS_HEADER_TABLE_SIZE.
   */
  raiseMaxTableSize(size: number): void {
    this.#maxTableSize = Math.max(this.#maxTableSize, size);
  }

  /** Current maximum dynamic table size (changed by size updates). */
  get tableMaxSize(): number {
    return this.#tableMax;
  }

  /** Current dynamic table size in octets (RFC 7541 accounting). */
  get tableSize(): number {
    return this.#tableBytes;
  }

  /** The dynamic table, newest first (index 62 first), as `[name, value]` pairs. */
  dynamicTable(): Array<[string, string]> {
    return this.#entries.map((e): [string, string] => [e.name, e.value]).reverse();
  }

  /** Decodes one complete header block. Throws `ProtocolError`. */
  decode(block: Uint8Array, hook?: HpackValueHook): HpackField[] {
    const fields: HpackField[] = [];
    this.beginBlock();
    let pos = 0;
    while (pos < block.length) {
      const step = this.decodeNext(block, pos, block.length, hook);
      if (step === null) {
        throw this.#fail(new ProtocolError("compression", "HPACK header block ends mid-field"));
      }
      if (step.kind === "field") fields.push(step.field);
      pos = step.next;
    }
    this.endBlock();
    return fields;
  }

  /** Starts a header block (size updates are only allowed before its first field). */
  beginBlock(): void {
    this.#check();
    this.#inBlock = true;
    this.#fieldsInBlock = 0;
    this.#listSize = 0;
  }

  /** Ends the current header block. */
  endBlock(): void {
    this.#check();
    this.#inBlock = false;
  }

  /**
   * Decodes the representation starting at `buf[pos]` (not reading past `end`). Returns null if
   * `buf` ends before the representation does, leaving all state unchanged. Offsets in the
   * returned field are positions in `buf`.
   */
  decodeNext(buf: Uint8Array, pos: number, end: number, hook?: HpackValueHook): HpackStep | null {
    this.#check();
    if (!this.#inBlock) {
      throw new Error("HpackDecoder.decodeNext called outside beginBlock/endBlock");
    }
    try {
      return this.#decodeNext(buf, pos, end, hook);
    } catch (err) {
      if (err instanceof ProtocolError) throw this.#fail(err);
      throw err;
    }
  }

  #check(): void {
    if (this.#failure) {
      throw new ProtocolError(
        "compression",
        `HPACK decoder unusable after an earlier error: ${this.#failure.message}`,
      );
    }
  }

  #fail(err: ProtocolError): ProtocolError {
    this.#failure = err;
    return err;
  }

  #decodeNext(buf: Uint8Array, pos: number, end: number, hook?: HpackValueHook): HpackStep | null {
    if (pos >= end) return null;
    const first = buf[pos];
    if (first & 0x80) {
      // 6.1 Indexed Header Field
      const idx = readInteger(buf, pos, end, 7);
      if (idx === null) return null;
      if (idx.value === 0) {
        throw new ProtocolError("compression", "HPACK indexed field with index 0");
      }
      const [name, value] = this.#lookup(idx.value);
      const field: HpackField = {
        name,
        value,
        representation: "indexed",
        literal: false,
        index: idx.value,
        valueRange: null,
        nameRange: null,
        start: pos,
        end: idx.next,
      };
      this.#account(field);
      return { kind: "field", field, next: idx.next };
    }
    if ((first & 0xe0) === 0x20) {
      // 6.3 Dynamic Table Size Update
      const size = readInteger(buf, pos, end, 5);
      if (size === null) return null;
      if (this.#fieldsInBlock > 0) {
        throw new ProtocolError(
          "compression",
          "HPACK dynamic table size update after the first field of a header block",
        );
      }
      if (size.value > this.#maxTableSize) {
        throw new ProtocolError(
          "compression",
          `HPACK dynamic table size update to ${size.value} exceeds the limit ${this.#maxTableSize}`,
        );
      }
      this.#tableMax = size.value;
      this.#evictTo(this.#tableMax);
      return { kind: "size-update", size: size.value, next: size.next };
    }
    let representation: HpackRepresentation;
    let prefixBits: number;
    if ((first & 0xc0) === 0x40) {
      representation = "literal-incremental";
      prefixBits = 6;
    } else if ((first & 0xf0) === 0x10) {
      representation = "literal-never-indexed";
      prefixBits = 4;
    } else {
      representation = "literal-without-indexing";
      prefixBits = 4;
    }
    const idx = readInteger(buf, pos, end, prefixBits);
    if (idx === null) return null;
    let p = idx.next;
    let name: string;
    let nameRange: HpackStringRange | null = null;
    if (idx.value !== 0) {
      name = this.#lookup(idx.value)[0];
    } else {
      const s = this.#readString(buf, p, end);
      if (s === null) return null;
      name = s.text;
      nameRange = s.range;
      p = s.next;
    }
    const v = this.#readString(buf, p, end);
    if (v === null) return null;
    const field: HpackField = {
      name,
      value: v.text,
      representation,
      literal: true,
      index: idx.value === 0 ? null : idx.value,
      valueRange: v.range,
      nameRange,
      start: pos,
      end: v.next,
    };
    const replaced = hook?.(field);
    if (replaced !== undefined) field.value = replaced;
    this.#account(field);
    if (representation === "literal-incremental") this.#insert(field.name, field.value);
    return { kind: "field", field, next: v.next };
  }

  #account(field: HpackField): void {
    this.#fieldsInBlock++;
    this.#listSize += hpackEntrySize(field.name, field.value);
    if (this.#listSize > this.#maxHeaderListSize) {
      throw new ProtocolError(
        "buffer-limit",
        `HPACK header list exceeds ${this.#maxHeaderListSize} octets`,
      );
    }
  }

  #lookup(index: number): readonly [string, string] {
    if (index <= HPACK_STATIC_TABLE_LENGTH) return HPACK_STATIC_TABLE[index];
    const dyn = index - HPACK_STATIC_TABLE_LENGTH;
    if (dyn > this.#entries.length) {
      throw new ProtocolError(
        "compression",
        `HPACK index ${index} out of range (static 1-${HPACK_STATIC_TABLE_LENGTH}, dynamic table ` +
          `has ${this.#entries.length} entries)`,
      );
    }
    const e = this.#entries[this.#entries.length - dyn];
    return [e.name, e.value];
  }

  #insert(name: string, value: string): void {
    const size = hpackEntrySize(name, value);
    if (size > this.#tableMax) {
      // RFC 7541 4.4: an entry larger than the table empties it and is not added.
      this.#entries = [];
      this.#tableBytes = 0;
      return;
    }
    this.#evictTo(this.#tableMax - size);
    this.#entries.push({ name, value, size });
    this.#tableBytes += size;
  }

  #evictTo(limit: number): void {
    let drop = 0;
    while (this.#tableBytes > limit && drop < this.#entries.length) {
      this.#tableBytes -= this.#entries[drop++].size;
    }
    if (drop > 0) this.#entries.splice(0, drop);
  }

  #readString(
    buf: Uint8Array,
    pos: number,
    end: number,
  ): { text: string; range: HpackStringRange; next: number } | null {
    if (pos >= end) return null;
    const huffman = (buf[pos] & 0x80) !== 0;
    const len = readInteger(buf, pos, end, 7);
    if (len === null) return null;
    // Checked before waiting for the octets, so a hostile length fails at once.
    if (len.value > this.#maxStringLength) {
      throw new ProtocolError(
        "buffer-limit",
        `HPACK string of ${len.value} octets exceeds the limit ${this.#maxStringLength}`,
      );
    }
    const start = len.next;
    if (end - start < len.value) return null;
    const stop = start + len.value;
    const text = huffman
      ? latin1Decode(huffmanDecode(buf, start, stop, this.#maxStringLength))
      : latin1Decode(buf, start, stop);
    return {
      text,
      range: { offset: start, length: len.value, huffman, prefixOffset: pos },
      next: stop,
    };
  }
}

/**
 * Reads an HPACK integer with an N-bit prefix (RFC 7541 5.1). Returns null when incomplete;
 * throws for values beyond 2^31 - 1 (no legitimate HPACK integer comes close).
 */
export function readInteger(
  buf: Uint8Array,
  pos: number,
  end: number,
  prefixBits: number,
): { value: number; next: number } | null {
  if (pos >= end) return null;
  const max = (1 << prefixBits) - 1;
  let value = buf[pos] & max;
  let p = pos + 1;
  if (value < max) return { value, next: p };
  let shift = 0;
  for (;;) {
    if (p >= end) return null;
    const b = buf[p++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (value > 0x7fffffff) {
      throw new ProtocolError("compression", "HPACK integer exceeds 2^31 - 1");
    }
    if ((b & 0x80) === 0) return { value, next: p };
  }
}

/** Encodes an HPACK integer with an N-bit prefix; `flags` fills the bits above the prefix. */
export function encodeInteger(value: number, prefixBits: number, flags: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [flags | value];
  const out = [flags | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

/** Byte used to replace secret value octets. */
export const MASK_OCTET = 0x2a; // '*'

/**
 * Returns a copy of `block` (same length) in which the value of every literal field whose
 * lowercase name satisfies `isSecret` is replaced, and decodes it with `decoder` (advancing its
 * dynamic table exactly as a decoder of the masked stream would).
 *
 * Replacement: the string keeps its length prefix; the H bit is cleared and the octets become
 * '*' (so a Huffman value of L octets becomes L asterisks). One exception keeps the masked
 * stream decodable: when a Huffman-coded value is added to the dynamic table
 * (literal-incremental) and its decoded length D differs from its coded length L, the '*' form
 * would give the table entry a different size than the original encoder assumed, shifting
 * evictions so later index references could resolve to other entries. In that case the value
 * is replaced by a Huffman-coded mask of exactly D symbols in exactly L octets (mostly '*'), so
 * entry sizes — and therefore every later index — match the original stream. The masked value
 * is what goes into the table, so later indexed references decode to the mask too.
 *
 * Indexed references are never rewritten: they can only point at static entries (whose
 * secret-named ones have empty values) or at dynamic entries this function already masked,
 * provided the same `decoder` has seen every earlier block of this direction.
 *
 * Throws `ProtocolError` if the block does not decode.
 */
export function maskHeaderBlock(
  block: Uint8Array,
  decoder: HpackDecoder,
  isSecret: (lowercaseName: string) => boolean,
): Uint8Array {
  const out = block.slice();
  decoder.decode(block, createMaskHook(out, 0, isSecret));
  return out;
}

/**
 * Builds the value hook that masks secret literals. Field offsets reported by the decoder are
 * positions in the buffer being decoded; `out[base + offset]` is where they live in `out`.
 * (Exported for the HTTP/2 redactor, which decodes from a sliding buffer.)
 */
export function createMaskHook(
  out: Uint8Array,
  base: number,
  isSecret: (lowercaseName: string) => boolean,
): HpackValueHook {
  return (field) => {
    const range = field.valueRange;
    if (!range || !isSecret(field.name.toLowerCase())) return undefined;
    const mask = secretMask(range, field.value.length, field.representation);
    out[base + range.prefixOffset] = mask.huffman
      ? out[base + range.prefixOffset] | 0x80
      : out[base + range.prefixOffset] & 0x7f;
    out.set(mask.octets, base + range.offset);
    return mask.value;
  };
}

/** Computes the wire octets and decoded value that replace a secret literal value. */
export function secretMask(
  range: { length: number; huffman: boolean },
  decodedLength: number,
  representation: HpackRepresentation,
): { octets: Uint8Array; huffman: boolean; value: string } {
  const plain = () => ({
    octets: new Uint8Array(range.length).fill(MASK_OCTET),
    huffman: false,
    value: "*".repeat(range.length),
  });
  if (
    !range.huffman || representation !== "literal-incremental" || decodedLength === range.length
  ) {
    return plain();
  }
  const symbols = huffmanMaskSymbols(decodedLength, range.length);
  if (symbols === null) return plain(); // unreachable for input that decoded; see tests
  return { octets: huffmanEncode(symbols), huffman: true, value: latin1Decode(symbols) };
}

/**
 * The wire octets and decoded value that replace a literal value of which only the characters
 * at `positions` are secret (a session parameter inside `:path`), the rest staying readable; or
 * null if no same-size replacement exists (the caller then masks the whole value).
 *
 * The replacement keeps the value's decoded length and its wire length, so the dynamic table
 * stays consistent whatever the representation. A plain value gets '*' at those positions. In a
 * Huffman-coded one every other symbol keeps its code, and the secret characters become mask
 * symbols ('0', '_', 'x', '*': codes of 5 to 8 bits, in that order of preference) whose code
 * lengths add up to exactly those of the characters they replace: the mask shows the secret's
 * length and total code length, nothing per character. (Where that total cannot be made of 5 to
 * 8 bit codes, each secret character becomes the mask symbol of its own code length.)
 */
export function partialMask(
  range: { length: number; huffman: boolean },
  value: string,
  positions: readonly number[],
): { octets: Uint8Array; huffman: boolean; value: string } | null {
  const symbols = latin1Encode(value);
  if (!range.huffman) {
    if (symbols.length !== range.length) return null;
    for (const p of positions) symbols[p] = MASK_OCTET;
    return { octets: symbols, huffman: false, value: latin1Decode(symbols) };
  }
  let bits = 0;
  for (const p of positions) bits += HUFFMAN_CODES[symbols[p]][1];
  const k = positions.length;
  if (bits >= 5 * k && bits <= 8 * k) {
    let extra = bits - 5 * k;
    for (const p of positions) {
      const add = Math.min(3, extra);
      extra -= add;
      symbols[p] = MASK_SYMBOL_BY_LENGTH.get(5 + add)!;
    }
  } else {
    for (const p of positions) {
      symbols[p] = MASK_SYMBOL_BY_LENGTH.get(HUFFMAN_CODES[symbols[p]][1])!;
    }
  }
  const octets = huffmanEncode(symbols);
  if (octets.length !== range.length) return null; // not for input that decoded; see tests
  return { octets, huffman: true, value: latin1Decode(symbols) };
}

// For each code length, a symbol to use in masks, chosen to look like masking where the code
// allows: '*' (8 bits), 'x' (7), '_' (6), '0' (5); then other printable ASCII, then octets
// >= 0x80, then control characters other than NUL, CR and LF.
const MASK_SYMBOL_BY_LENGTH: Map<number, number> = (() => {
  const order: number[] = [MASK_OCTET, 0x78, 0x5f, 0x30];
  for (let s = 0x21; s < 0x7f; s++) order.push(s);
  for (let s = 0x80; s < 0x100; s++) order.push(s);
  for (let s = 1; s < 0x20; s++) if (s !== 10 && s !== 13) order.push(s);
  order.push(0x7f);
  const map = new Map<number, number>();
  for (const s of order) {
    const len = HUFFMAN_CODES[s][1];
    if (!map.has(len)) map.set(len, s);
  }
  return map;
})();
const MASK_LENGTHS = [...MASK_SYMBOL_BY_LENGTH.keys()].sort((a, b) => a - b);

/**
 * Chooses `count` symbols whose Huffman encoding is exactly `octets` octets long (total bits in
 * [8*octets - 7, 8*octets]), starting from all '*' and adjusting symbol lengths greedily.
 * Returns null if impossible.
 */
export function huffmanMaskSymbols(count: number, octets: number): Uint8Array | null {
  const base = HUFFMAN_CODES[MASK_OCTET][1];
  const lo = 8 * octets - 7;
  const hi = 8 * octets;
  const lengths = new Array<number>(count).fill(base);
  let total = base * count;
  const maxLen = MASK_LENGTHS[MASK_LENGTHS.length - 1];
  for (let i = 0; i < count && (total < lo || total > hi); i++) {
    let want: number;
    if (total > hi) {
      // Shrink: prefer 6-bit symbols while the remaining symbols can still absorb the rest.
      const excess = total - hi;
      const left = count - i;
      const shrink = excess > 2 * (left - 1) ? Math.min(3, excess) : Math.min(2, excess);
      want = base - shrink;
    } else {
      const target = Math.min(maxLen, base + (lo - total));
      want = MASK_LENGTHS.find((l) => l >= target) ?? maxLen;
    }
    total += want - base;
    lengths[i] = want;
  }
  if (total < lo || total > hi) return null;
  return Uint8Array.from(lengths, (l) => MASK_SYMBOL_BY_LENGTH.get(l)!);
}
