/**
 * Finds C strings in an ELF's loadable data and the instructions that load their address.
 *
 * Why this is the anchor: BoringSSL and aws-lc report every error with
 * `OPENSSL_PUT_ERROR(lib, reason)`, a macro that expands to
 * `ERR_put_error(lib, 0, reason, __FILE__, __LINE__)`. The `__FILE__` string (e.g.
 * `../../vendor/boringssl/ssl/ssl_lib.cc`) survives stripping because it is data the code uses,
 * and the only code that loads its address is the error sites of that one source file. A
 * position-independent build loads it with a RIP-relative `lea reg, [rip+disp32]`; a non-PIE
 * build (Bun's is one) with `mov r32, imm32`. Both forms are scanned for, then every hit is
 * confirmed by decoding the instruction.
 */

import { Buffer } from "node:buffer";
import { type ElfFile, ET_EXEC, PF_X, PT_LOAD } from "../elf.ts";

const PF_W = 2;
import { decodeOne } from "./x86.ts";
import { CodeIndex } from "./code_index.ts";
import type { LoadedRange } from "./fips_module.ts";

export interface CString {
  /** Virtual address of the whole NUL-terminated string that contains the needle. */
  vaddr: number;
  text: string;
}

export interface CodeRef {
  /** Address of the referencing instruction. */
  ip: number;
  /** The address it loads (one of the targets). */
  target: number;
  kind: "rip-relative" | "absolute";
}

const CHUNK = 32 << 20;
const latin1 = new TextDecoder("latin1");

/**
 * NUL-terminated strings in read-only PT_LOAD segments whose text ends with `suffix`
 * (the needle is matched with its terminating NUL, so `ssl_lib.cc` won't match `ssl_lib.cc.o`),
 * and in the ranges `also` (a FIPS module's code, where it keeps its strings: fips_module.ts).
 */
export function findCStrings(
  elf: ElfFile,
  suffix: string,
  maxHits = 16,
  also: readonly LoadedRange[] = [],
): CString[] {
  const needle = Buffer.from(suffix + "\0", "latin1");
  const out: CString[] = [];
  // __FILE__ strings live in read-only data: search the read-only segments, and the read-only
  // executable one only when the file has no separate read-only data segment (old layouts).
  const loads = elf.segments.filter((s) => s.type === PT_LOAD && s.filesz && !(s.flags & PF_W));
  const data = loads.filter((s) => !(s.flags & PF_X));
  const ranges: LoadedRange[] = (data.length ? data : loads)
    .map((s) => ({ offset: s.offset, vaddr: s.vaddr, size: s.filesz }));
  // a range already searched as a whole segment is not searched again
  for (const r of also) {
    if (!ranges.some((q) => r.offset >= q.offset && r.offset + r.size <= q.offset + q.size)) {
      ranges.push(r);
    }
  }
  for (const seg of ranges) {
    for (let off = 0; off < seg.size && out.length < maxHits; off += CHUNK) {
      const len = Math.min(CHUNK + 4096, seg.size - off);
      const buf = nocopy(elf.read(seg.offset + off, len));
      for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + 1)) {
        if (i >= CHUNK) break; // the overlap belongs to the next chunk
        let s = i;
        while (s > 0 && buf[s - 1] !== 0 && i - s < 4096) s--;
        const text = latin1.decode(buf.subarray(s, i + needle.length - 1));
        out.push({ vaddr: seg.vaddr + off + s, text });
        if (out.length >= maxHits) break;
      }
    }
  }
  return out;
}

/**
 * Instructions in executable PT_LOAD segments that load one of `targets` as an address.
 * `targets` usually holds every suffix start of a string (a linker may merge a shorter string
 * into the tail of a longer one, so code can point anywhere inside it).
 */
export function findCodeRefs(elf: ElfFile, targets: Set<number>): CodeRef[] {
  const out: CodeRef[] = [];
  if (!targets.size) return out;
  // a position-independent file (ET_DYN) cannot load an address as an immediate; a
  // fixed-address one (ET_EXEC, like Bun's) may, when the address fits in 32 bits
  const absolute = elf.type === ET_EXEC && [...targets].every((t) => t < 0x80000000);
  const confirm = (ip: number, t: number, kind: CodeRef["kind"]) => {
    const off = elf.vaddrToOffset(ip);
    if (off === undefined) return;
    const insn = decodeOne(elf.read(off, 15), ip);
    if (insn && !insn.invalid && (insn.ripRef === t || insn.imm1 === t)) {
      out.push({ ip, target: t, kind });
    }
  };
  if (!absolute) {
    // position-independent code loads addresses RIP-relative only: the code index has them
    CodeIndex.each(
      CodeIndex.of(elf).leas,
      (t) => targets.has(t),
      (ip, t) => confirm(ip, t, "rip-relative"),
    );
    return out;
  }
  for (const seg of elf.segments) {
    if (seg.type !== PT_LOAD || !(seg.flags & PF_X) || !seg.filesz) continue;
    for (let off = 0; off < seg.filesz; off += CHUNK) {
      const len = Math.min(CHUNK + 16, seg.filesz - off);
      const b = elf.read(seg.offset + off, len);
      const base = seg.vaddr + off;
      const limit = Math.min(CHUNK, b.length - 6);
      const hits: Array<[number, number, CodeRef["kind"]]> = [];
      for (let i = 1; i < limit; i++) {
        const c = b[i];
        if (c === 0x8d) {
          // lea r, [rip+disp32]: 8D /r with mod=00 rm=101
          if ((b[i + 1] & 0xc7) !== 0x05) continue;
          const disp = b[i + 2] | (b[i + 3] << 8) | (b[i + 4] << 16) | (b[i + 5] << 24);
          const t = base + i + 6 + disp;
          if (targets.has(t)) {
            hits.push([(b[i - 1] & 0xf0) === 0x40 ? i - 1 : i, t, "rip-relative"]);
          }
        } else if ((c & 0xf8) === 0xb8) {
          // mov r32, imm32 (zero-extends: the usual way a non-PIE build loads an address)
          const t = (b[i + 1] | (b[i + 2] << 8) | (b[i + 3] << 16) | (b[i + 4] << 24)) >>> 0;
          if (targets.has(t)) hits.push([(b[i - 1] & 0xf0) === 0x40 ? i - 1 : i, t, "absolute"]);
        } else if (c === 0xc7 && (b[i + 1] & 0xf8) === 0xc0) {
          // mov r64, simm32
          const t = b[i + 2] | (b[i + 3] << 8) | (b[i + 4] << 16) | (b[i + 5] << 24);
          if (targets.has(t) && (b[i - 1] & 0xf8) === 0x48) hits.push([i - 1, t, "absolute"]);
        }
      }
      for (const [i, t, kind] of hits) confirm(base + i, t, kind);
    }
  }
  return out;
}

/** Every address inside `s` from its start up to where `suffix` begins. */
export function suffixTargets(s: CString, suffix: string): Set<number> {
  const set = new Set<number>();
  const last = s.text.length - suffix.length;
  for (let k = 0; k <= last; k++) set.add(s.vaddr + k);
  return set;
}

/** A Buffer view of `b` (no copy), for its native indexOf. */
function nocopy(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
