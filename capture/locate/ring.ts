/**
 * ring's AEAD seal/open (rustls's `ring` crypto provider: Codex up to 0.123, and many Rust
 * programs), found from ring's algorithm table in a stripped binary.
 *
 * Source reasoning (ring src/aead/algorithm.rs, 0.17; 0.16 has the same table plus a
 * `max_input_len: u64`):
 *
 *   pub struct Algorithm {
 *       init: fn(key: &[u8], cpu) -> Result<KeyInner, _>,
 *       seal: fn(key: &KeyInner, nonce: Nonce, aad: Aad<&[u8]>, in_out: &mut [u8], cpu) -> ..,
 *       open: fn(key: &KeyInner, nonce, aad, in_out: &mut [u8], src: RangeFrom<usize>, cpu) -> ..,
 *       key_len: usize,
 *       id: AlgorithmID,            // AES_128_GCM = 0, AES_256_GCM = 1, CHACHA20_POLY1305 = 2
 *   }
 *   pub static AES_128_GCM = { key_len: 16, init: aes_gcm_init_128, seal: aes_gcm_seal,
 *                              open: aes_gcm_open, id: AES_128_GCM };
 *   pub static AES_256_GCM = { key_len: 32, init: aes_gcm_init_256, seal: aes_gcm_seal,
 *                              open: aes_gcm_open, id: AES_256_GCM };
 *   pub static CHACHA20_POLY1305 = { key_len: 32, .., id: CHACHA20_POLY1305 };
 *
 * Every TLS record rustls protects goes through `(alg.seal)` / `(alg.open)`: called through
 * these pointers, the functions cannot be inlined, so their entries are exact. The statics
 * are read-only data of three function pointers (relocated, in a PIE), a key length and a
 * one-byte id; the two AES-GCM statics share their seal and open pointers and differ in
 * init, key length (16/32) and id (0/1): a shape nothing else has. Rust keeps the three
 * pointers (same size and alignment) in declaration order: init, seal, open.
 *
 * The functions use Rust's (unstable) calling convention, so the eBPF side does not assume
 * where the arguments are: it finds the AAD among the argument registers and stack words by
 * its content (a TLS record header) and the in/out slice by its length, which the header
 * gives (bpf/sightline.bpf.c, "ring"). Only the key, which names the connection's direction,
 * is placed from the code: `match key { KeyInner::AesGcm(k) => .., _ => unreachable!() }`
 * is the first thing both functions do, so the argument register the code first reads
 * memory through is the key.
 */

import { type ElfFile, PF_X, PT_LOAD } from "../elf.ts";
import { hex } from "./hex.ts";
import { DataPointers } from "./data_pointers.ts";
import type { HookFn, LocatedHook, MethodOutcome } from "./types.ts";
import { ARG_REG_NAMES, argIndex, decodeLinear, X86 } from "./x86.ts";

interface AlgRecord {
  vaddr: number;
  /** init, seal, open */
  fns: [number, number, number];
  keyLen: number;
  id: number;
}

export function locateRing(elf: ElfFile): MethodOutcome {
  const method = "ring AEAD algorithm table (seal/open pointers)";
  const recs = algorithmRecords(elf);
  const aes = aesPairs(recs);
  if (aes.length !== 1) {
    return {
      method,
      hooks: [],
      note: `${method}: ${recs.length} algorithm-shaped records, ${aes.length} AES-GCM pairs` +
        (aes.length > 1 ? " (ambiguous)" : ""),
    };
  }
  const [a128, a256] = aes[0];
  const chacha = recs
    .filter((r) => r.keyLen === 32 && r.id === 2 && r.fns[1] !== a128.fns[1])
    .sort((x, y) => Math.abs(x.vaddr - a128.vaddr) - Math.abs(y.vaddr - a128.vaddr))[0];
  const hooks: LocatedHook[] = [];
  const notes: string[] = [];
  const add = (fn: HookFn, vaddr: number, what: string) => {
    const fileOffset = elf.vaddrToOffset(vaddr);
    if (fileOffset === undefined) {
      notes.push(`${fn} at ${hex(vaddr)} is in no loadable segment`);
      return;
    }
    const key = keyArgument(elf, vaddr);
    hooks.push({
      fn,
      vaddr,
      fileOffset,
      ctxArg: key ?? 1,
      confidence: key === undefined ? 0.7 : 0.9,
      evidence: `${what}; key in ${
        key === undefined ? "rsi (assumed: no argument dereference found)" : ARG_REG_NAMES[key]
      }`,
    });
  };
  const table = `AES_128_GCM @${hex(a128.vaddr)} / AES_256_GCM @${hex(a256.vaddr)}`;
  add("ring_aes_gcm_seal", a128.fns[1], `seal pointer shared by ${table}`);
  add("ring_aes_gcm_open", a128.fns[2], `open pointer shared by ${table}`);
  if (chacha) {
    const where = `CHACHA20_POLY1305 @${hex(chacha.vaddr)}`;
    add("ring_chacha20_poly1305_seal", chacha.fns[1], `seal pointer of ${where}`);
    add("ring_chacha20_poly1305_open", chacha.fns[2], `open pointer of ${where}`);
  } else notes.push("no CHACHA20_POLY1305 record");
  return {
    library: "ring",
    method,
    hooks,
    note: `${method}: ${table}` + (notes.length ? `; ${notes.join("; ")}` : ""),
  };
}

/**
 * Records shaped like `Algorithm`: three code pointers in a row, then within the next three
 * words a key length (16 or 32) and an id (0..2, its padding zero).
 */
export function algorithmRecords(elf: ElfFile): AlgRecord[] {
  const ptrs = new DataPointers(elf);
  const code = elf.segments.filter((s) => s.type === PT_LOAD && s.flags & PF_X);
  const isCode = (v: number) => code.some((s) => v >= s.vaddr && v < s.vaddr + s.memsz);
  const out: AlgRecord[] = [];
  for (const area of dataAreas(elf, ptrs.relocated)) {
    const bytes = elf.read(area.offset, area.size);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const base = area.vaddr;
    const start = (8 - (base % 8)) % 8;
    const word = (o: number) => {
      const w = ptrs.word(base + o, dv.getBigUint64(o, true));
      return ptrs.relocated && !w.relocated ? undefined : w.value;
    };
    const raw = (o: number) => dv.getBigUint64(o, true);
    for (let o = start; o + 48 <= bytes.length; o += 8) {
      const p0 = word(o);
      if (p0 === undefined || !isCode(p0)) continue;
      const p1 = word(o + 8), p2 = word(o + 16);
      if (p1 === undefined || p2 === undefined || !isCode(p1) || !isCode(p2)) continue;
      if (p0 === p1 || p1 === p2 || p0 === p2) continue;
      const rest = [raw(o + 24), raw(o + 32), raw(o + 40)];
      const k = rest.findIndex((v) => v === 16n || v === 32n);
      const i = rest.findIndex((v, n) => n !== k && v <= 2n);
      if (k < 0 || i < 0 || Math.abs(k - i) !== 1) continue;
      out.push({
        vaddr: base + o,
        fns: [p0, p1, p2],
        keyLen: Number(rest[k]),
        id: Number(rest[i]),
      });
    }
  }
  return out;
}

/**
 * Where read-only statics holding pointers live: `.data.rel.ro` (relocated at start in a PIE;
 * a fixed-address build may keep them in `.rodata` too), else every non-code segment.
 */
function dataAreas(elf: ElfFile, relocated: boolean) {
  const names = relocated ? [".data.rel.ro"] : [".data.rel.ro", ".rodata"];
  const secs = elf.sections.filter((s) => names.includes(s.name) && s.size && s.type !== 8);
  if (secs.length) return secs.map((s) => ({ vaddr: s.addr, offset: s.offset, size: s.size }));
  return elf.segments
    .filter((s) => s.type === PT_LOAD && !(s.flags & PF_X) && s.filesz)
    .map((s) => ({ vaddr: s.vaddr, offset: s.offset, size: s.filesz }));
}

/** (AES_128_GCM, AES_256_GCM) pairs: same seal and open, different init, 16/0 and 32/1. */
function aesPairs(recs: AlgRecord[]): [AlgRecord, AlgRecord][] {
  const out: [AlgRecord, AlgRecord][] = [];
  for (const a of recs) {
    if (a.keyLen !== 16 || a.id !== 0) continue;
    for (const b of recs) {
      if (b.keyLen !== 32 || b.id !== 1) continue;
      if (a.fns[1] === b.fns[1] && a.fns[2] === b.fns[2] && a.fns[0] !== b.fns[0]) {
        out.push([a, b]);
      }
    }
  }
  return out;
}

/** The argument register through which the function at `vaddr` first reads memory. */
function keyArgument(elf: ElfFile, vaddr: number): number | undefined {
  const off = elf.vaddrToOffset(vaddr);
  if (off === undefined) return undefined;
  const written = new Set<number>();
  for (const i of decodeLinear(elf.read(off, 256), vaddr, 48)) {
    if (i.memBase !== undefined) {
      const k = argIndex(i.memBase);
      if (k >= 0 && !written.has(k)) return k;
    }
    // an argument register overwritten before any read through it no longer holds the key
    const w = argIndex(i.reg0);
    if (w >= 0 && i.mnemonic !== X86.Mnemonic.Cmp && i.mnemonic !== X86.Mnemonic.Test) {
      written.add(w);
    }
    if (i.flow !== "next") break;
  }
  return undefined;
}
