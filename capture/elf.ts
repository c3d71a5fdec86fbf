/**
 * A small ELF64 (little-endian) reader for attach decisions: segments, sections, symbols,
 * build-id, DT_NEEDED, and the mapping from virtual addresses to file offsets that uprobes
 * need. It reads with positional reads, so a 400 MB agent binary is never loaded whole.
 */

export interface ElfSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
}

export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

export interface ElfSymbol {
  name: string;
  value: number;
  size: number;
  /** STT_* */
  type: number;
  /** STB_* */
  bind: number;
  /** section index; 0 = undefined (imported) */
  shndx: number;
}

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;
export const PF_X = 1;
export const PF_W = 2;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_DYNSYM = 11;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHF_WRITE = 1;
export const SHF_ALLOC = 2;
export const SHF_EXECINSTR = 4;
export const STT_FUNC = 2;
export const STT_GNU_IFUNC = 10;
export const ET_EXEC = 2;
export const ET_DYN = 3;
const DT_NEEDED = 1;
const DT_SONAME = 14;
const DT_FLAGS_1 = 0x6ffffffb;
const DF_1_PIE = 0x08000000;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;

/** Thrown when a file is not an ELF64 little-endian object this reader understands. */
export class NotElfError extends Error {}

export class ElfFile {
  readonly path: string;
  readonly size: number;
  readonly type: number;
  readonly machine: number;
  readonly entry: number;
  readonly segments: ElfSegment[];
  readonly sections: ElfSection[];
  #file: Deno.FsFile;

  private constructor(path: string, file: Deno.FsFile, size: number, header: DataView) {
    this.path = path;
    this.#file = file;
    this.size = size;
    this.type = header.getUint16(16, true);
    this.machine = header.getUint16(18, true);
    this.entry = num(header.getBigUint64(24, true));
    const phoff = num(header.getBigUint64(32, true));
    const shoff = num(header.getBigUint64(40, true));
    const phentsize = header.getUint16(54, true);
    const phnum = header.getUint16(56, true);
    const shentsize = header.getUint16(58, true);
    let shnum = header.getUint16(60, true);
    const shstrndx = header.getUint16(62, true);
    this.segments = [];
    if (phoff && phentsize >= 56) {
      const ph = this.view(phoff, phentsize * phnum);
      for (let i = 0; i < phnum; i++) {
        const o = i * phentsize;
        this.segments.push({
          type: ph.getUint32(o, true),
          flags: ph.getUint32(o + 4, true),
          offset: num(ph.getBigUint64(o + 8, true)),
          vaddr: num(ph.getBigUint64(o + 16, true)),
          filesz: num(ph.getBigUint64(o + 32, true)),
          memsz: num(ph.getBigUint64(o + 40, true)),
        });
      }
    }
    this.sections = [];
    if (shoff && shentsize >= 64 && shoff < size) {
      if (shnum === 0) shnum = this.view(shoff, 64).getUint32(32, true); // extended numbering
      const sh = this.view(shoff, shentsize * shnum);
      const raw = [];
      for (let i = 0; i < shnum; i++) {
        const o = i * shentsize;
        raw.push({
          nameOff: sh.getUint32(o, true),
          type: sh.getUint32(o + 4, true),
          flags: num(sh.getBigUint64(o + 8, true)),
          addr: num(sh.getBigUint64(o + 16, true)),
          offset: num(sh.getBigUint64(o + 24, true)),
          size: num(sh.getBigUint64(o + 32, true)),
          link: sh.getUint32(o + 40, true),
          entsize: num(sh.getBigUint64(o + 56, true)),
        });
      }
      const strtab = raw[shstrndx];
      const names = strtab && strtab.type !== SHT_NOBITS
        ? this.read(strtab.offset, strtab.size)
        : new Uint8Array();
      for (const s of raw) {
        const { nameOff: _, ...rest } = s;
        this.sections.push({ name: cstr(names, s.nameOff), ...rest });
      }
    }
  }

  /** Opens `path`; throws NotElfError (with the reason) for anything but ELF64 little-endian. */
  static open(path: string): ElfFile {
    const file = Deno.openSync(path, { read: true });
    try {
      const size = file.statSync().size;
      const head = new Uint8Array(64);
      const n = readFully(file, 0, head);
      if (n < 64 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) {
        throw new NotElfError(`${path}: not an ELF file`);
      }
      if (head[4] !== 2) throw new NotElfError(`${path}: 32-bit ELF is not supported`);
      if (head[5] !== 1) throw new NotElfError(`${path}: big-endian ELF is not supported`);
      return new ElfFile(path, file, size, new DataView(head.buffer));
    } catch (e) {
      file.close();
      throw e;
    }
  }

  close(): void {
    this.#file.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Reads `length` bytes at file offset `offset` (short at end of file). */
  read(offset: number, length: number): Uint8Array {
    const len = Math.max(0, Math.min(length, this.size - offset));
    const buf = new Uint8Array(len);
    readFully(this.#file, offset, buf);
    return buf;
  }

  view(offset: number, length: number): DataView {
    const b = this.read(offset, length);
    if (b.length < length) {
      throw new NotElfError(`${this.path}: truncated (wanted ${length} bytes at ${offset})`);
    }
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  sectionData(s: ElfSection): Uint8Array {
    return s.type === SHT_NOBITS ? new Uint8Array() : this.read(s.offset, s.size);
  }

  /** The file offset that maps to virtual address `vaddr`, or undefined when none does. */
  vaddrToOffset(vaddr: number): number | undefined {
    for (const s of this.segments) {
      if (s.type === PT_LOAD && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) {
        return vaddr - s.vaddr + s.offset;
      }
    }
    return undefined;
  }

  /** The virtual address that file offset `offset` is loaded at, or undefined. */
  offsetToVaddr(offset: number): number | undefined {
    for (const s of this.segments) {
      if (s.type === PT_LOAD && offset >= s.offset && offset < s.offset + s.filesz) {
        return offset - s.offset + s.vaddr;
      }
    }
    return undefined;
  }

  /** Symbols of `.dynsym` (the exported/imported dynamic symbols), all decoded (a C++
   * library's 60,000 take a tenth of a second): for tests; the locator decodes only the names
   * it looks for (symbolsNamedAt) and the imports (dynamicImports). */
  dynamicSymbols(): ElfSymbol[] {
    return this.#symbolTable(SHT_DYNSYM);
  }

  /** The names `.dynsym` imports (its undefined symbols), decoding no other name: a library's
   * imports are a few hundred of its tens of thousands of symbols. */
  dynamicImports(): string[] {
    return this.#symbolTable(SHT_DYNSYM, (dv, o) => dv.getUint16(o + 6, true) === 0)
      .filter((s) => s.shndx === 0).map((s) => s.name);
  }

  /** Symbols of `.symtab` (absent from stripped binaries). */
  staticSymbols(): ElfSymbol[] {
    return this.#symbolTable(SHT_SYMTAB);
  }

  /** The symbols of the table of type `type` (SHT_SYMTAB, SHT_DYNSYM) whose names begin at one
   * of `nameOffsets` in its string table, decoding no other (capture/locate/symbols.ts finds
   * the offsets of the names it wants). */
  symbolsNamedAt(type: number, nameOffsets: ReadonlySet<number>): ElfSymbol[] {
    if (!nameOffsets.size) return [];
    return this.#symbolTable(type, (dv, o) => nameOffsets.has(dv.getUint32(o, true)));
  }

  /** The table's symbols, or those `keep` (given the entry's bytes) keeps. */
  #symbolTable(type: number, keep?: (dv: DataView, offset: number) => boolean): ElfSymbol[] {
    const tab = this.sections.find((s) => s.type === type);
    if (!tab || tab.entsize < 24) return [];
    const strs = this.sections[tab.link];
    if (!strs) return [];
    const names = this.sectionData(strs);
    const data = this.sectionData(tab);
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const out: ElfSymbol[] = [];
    for (let o = 0; o + 24 <= data.length; o += tab.entsize) {
      if (keep && !keep(dv, o)) continue;
      const info = dv.getUint8(o + 4);
      out.push({
        name: cstr(names, dv.getUint32(o, true)),
        type: info & 0xf,
        bind: info >> 4,
        shndx: dv.getUint16(o + 6, true),
        value: num(dv.getBigUint64(o + 8, true)),
        size: num(dv.getBigUint64(o + 16, true)),
      });
    }
    return out;
  }

  /** The GNU build-id as lowercase hex, or undefined. */
  buildId(): string | undefined {
    const notes = this.sections.filter((s) => s.type === SHT_NOTE);
    const ranges = notes.length
      ? notes.map((s) => [s.offset, s.size])
      : this.segments.filter((s) => s.type === PT_NOTE).map((s) => [s.offset, s.filesz]);
    for (const [offset, size] of ranges) {
      const d = this.read(offset, Math.min(size, 1 << 16));
      const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
      for (let o = 0; o + 12 <= d.length;) {
        const namesz = dv.getUint32(o, true);
        const descsz = dv.getUint32(o + 4, true);
        const type = dv.getUint32(o + 8, true);
        const nameStart = o + 12;
        const descStart = nameStart + align4(namesz);
        if (descStart + descsz > d.length) break;
        const name = new TextDecoder().decode(d.subarray(nameStart, nameStart + namesz));
        if (type === 3 && name.startsWith("GNU")) {
          return [...d.subarray(descStart, descStart + descsz)]
            .map((b) => b.toString(16).padStart(2, "0")).join("");
        }
        o = descStart + align4(descsz);
      }
    }
    return undefined;
  }

  /** The program interpreter (PT_INTERP), e.g. /lib64/ld-linux-x86-64.so.2. */
  interpreter(): string | undefined {
    const s = this.segments.find((p) => p.type === PT_INTERP);
    return s ? cstr(this.read(s.offset, s.filesz), 0) : undefined;
  }

  /** The (tag, value) entries of the dynamic section (PT_DYNAMIC). */
  dynamicEntries(): [number, number][] {
    const dyn = this.segments.find((p) => p.type === PT_DYNAMIC);
    if (!dyn) return [];
    const d = this.read(dyn.offset, dyn.filesz);
    const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    const out: [number, number][] = [];
    for (let o = 0; o + 16 <= d.length; o += 16) {
      const tag = num(dv.getBigInt64(o, true));
      if (tag === 0) break;
      out.push([tag, num(dv.getBigUint64(o + 8, true))]);
    }
    return out;
  }

  /** DT_NEEDED entries: the shared libraries this object links against. */
  needed(): string[] {
    const entries = this.dynamicEntries();
    const strtab = entries.find(([t]) => t === DT_STRTAB)?.[1] ?? 0;
    const strsz = entries.find(([t]) => t === DT_STRSZ)?.[1] ?? 0;
    const off = this.vaddrToOffset(strtab);
    if (off === undefined || !strsz) return [];
    const strs = this.read(off, strsz);
    return entries.filter(([t]) => t === DT_NEEDED).map(([, v]) => cstr(strs, v));
  }

  /**
   * An executable (fixed-address, PIE or static-PIE), as opposed to a shared library. An
   * ET_DYN file is one when it names a program interpreter (a PIE; glibc's libc.so.6, which
   * runs too, counts), when the linker flagged it DF_1_PIE, or when it has the shape only a
   * static-PIE has: an entry point, and no interpreter, no DT_NEEDED and no DT_SONAME (older
   * linkers wrote no DF_1_PIE, and a static binary imports nothing that would have it scanned
   * as a library that connects). A shared library either names itself
   * (SONAME: every system library, the dynamic loader, whose entry point runs programs) or
   * links against something (libc), and most have no entry point at all.
   */
  isExecutable(): boolean {
    if (this.type === ET_EXEC) return true;
    if (this.type !== ET_DYN) return false;
    if (this.interpreter() !== undefined) return true;
    const entries = this.dynamicEntries();
    const flags1 = entries.find(([t]) => t === DT_FLAGS_1)?.[1] ?? 0;
    if (flags1 & DF_1_PIE) return true;
    return this.entry !== 0 && !entries.some(([t]) => t === DT_NEEDED || t === DT_SONAME);
  }
}

function readFully(file: Deno.FsFile, offset: number, buf: Uint8Array): number {
  file.seekSync(offset, Deno.SeekMode.Start);
  let got = 0;
  while (got < buf.length) {
    const n = file.readSync(buf.subarray(got));
    if (n === null || n === 0) break;
    got += n;
  }
  return got;
}

function num(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

const latin1 = new TextDecoder("latin1");

function cstr(buf: Uint8Array, off: number): string {
  if (off >= buf.length) return "";
  let end = buf.indexOf(0, off);
  if (end < 0) end = buf.length;
  return latin1.decode(buf.subarray(off, end));
}
