/**
 * One pass over a binary's executable segments, kept for every later question about it: where
 * the direct calls (`call rel32`, E8) go, and which addresses RIP-relative loads
 * (`lea r, [rip+disp32]`, 8D with mod=00 rm=101) take. The locator's methods ask several such
 * questions of a 250 MB binary (error sites' string loads, call targets that split functions,
 * the callers of a function); scanning the code once instead of once per question is most of
 * its speed. Entries are byte patterns, not decoded instructions: whoever uses one confirms it
 * by decoding (a call into the middle of nowhere or a lea inside another instruction's bytes
 * does not survive that).
 */

import { type ElfFile, PF_X, PT_LOAD } from "../elf.ts";

/** A growable list of (ip, target) pairs in typed arrays. */
class Pairs {
  ips = new Float64Array(1 << 16);
  targets = new Float64Array(1 << 16);
  length = 0;
  push(ip: number, target: number): void {
    if (this.length === this.ips.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.ips = grow(this.ips);
      this.targets = grow(this.targets);
    }
    this.ips[this.length] = ip;
    this.targets[this.length++] = target;
  }
}

const cache = new WeakMap<ElfFile, CodeIndex>();

export class CodeIndex {
  /** direct calls whose target lies in an executable segment */
  readonly calls = new Pairs();
  /** RIP-relative address loads (ip of the instruction, REX prefix included) */
  readonly leas = new Pairs();

  private constructor(elf: ElfFile) {
    const code = elf.segments.filter((s) => s.type === PT_LOAD && s.flags & PF_X && s.filesz);
    const inCode = (t: number) => code.some((s) => t >= s.vaddr && t < s.vaddr + s.filesz);
    const CHUNK = 32 << 20;
    for (const seg of code) {
      for (let off = 0; off < seg.filesz; off += CHUNK) {
        const b = elf.read(seg.offset + off, Math.min(CHUNK + 8, seg.filesz - off));
        const base = seg.vaddr + off;
        const limit = Math.min(CHUNK, b.length - 6);
        for (let i = b.indexOf(0xe8); i >= 0 && i < limit; i = b.indexOf(0xe8, i + 1)) {
          const t = base + i + 5 +
            (b[i + 1] | (b[i + 2] << 8) | (b[i + 3] << 16) | (b[i + 4] << 24));
          if (inCode(t)) this.calls.push(base + i, t);
        }
        for (let i = b.indexOf(0x8d, 1); i >= 0 && i < limit; i = b.indexOf(0x8d, i + 1)) {
          if ((b[i + 1] & 0xc7) !== 0x05) continue;
          const t = base + i + 6 +
            (b[i + 2] | (b[i + 3] << 8) | (b[i + 4] << 16) | (b[i + 5] << 24));
          const at = (b[i - 1] & 0xf0) === 0x40 ? i - 1 : i;
          this.leas.push(base + at, t);
        }
      }
    }
  }

  /** The index of `elf`, built on first use. */
  static of(elf: ElfFile): CodeIndex {
    let x = cache.get(elf);
    if (!x) cache.set(elf, x = new CodeIndex(elf));
    return x;
  }

  /** Calls `fn(ip, target)` for each pair whose target `want` accepts. */
  static each(
    pairs: Pairs,
    want: (target: number) => boolean,
    fn: (ip: number, t: number) => void,
  ) {
    const { ips, targets, length } = pairs;
    for (let k = 0; k < length; k++) if (want(targets[k])) fn(ips[k], targets[k]);
  }
}
