import assert from "node:assert/strict";
import { ElfFile, PT_LOAD } from "../elf.ts";
import { SKIP_NOT_ROOT } from "./test_gate.ts";
import { readPclntab } from "./gopclntab.ts";
import { locateGoTls } from "./go_tls.ts";
import { buildGo, GO_HTTPS_CLIENT, goTool } from "../../tests/support/go.ts";

// Real Go binaries built here (Go 1.19, whose header still records textStart), copied with
// that header word zeroed as every Go 1.26+ linker writes it (see gopclntab.ts).
const go = SKIP_NOT_ROOT ? undefined : await goTool();
if (!go) console.warn("capture/locate: gopclntab tests skipped: no go toolchain, not root");

/** The table's header address and file offset, its functions, and the file ranges of the
 * binary's writable data (where runtime.moduledata is). */
function header(path: string) {
  using elf = ElfFile.open(path);
  const t = readPclntab(elf)!;
  const data = elf.segments.filter((s) => s.type === PT_LOAD && s.flags & 2)
    .map((s) => [s.offset, s.offset + s.filesz]);
  return { vaddr: t.vaddr, offset: elf.vaddrToOffset(t.vaddr)!, funcs: t.funcs, data };
}

/** A copy of `bin` with the 8 bytes at each of `offsets` zeroed. */
async function zeroed(bin: string, offsets: number[]): Promise<string> {
  const b = await Deno.readFile(bin);
  for (const o of offsets) b.fill(0, o, o + 8);
  const out = `${bin}.zeroed-${offsets.join("-")}`;
  await Deno.writeFile(out, b, { mode: 0o755 });
  return out;
}

/** Where the 8-byte little-endian `value` sits in `bytes` at an 8-aligned offset. */
function wordOffsets(bytes: Uint8Array, value: number): number[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let o = 0; o + 8 <= bytes.length; o += 8) {
    if (dv.getBigUint64(o, true) === BigInt(value)) out.push(o);
  }
  return out;
}

Deno.test({
  name: "gopclntab: textStart 0 in the header (Go 1.26+) is taken from moduledata; loud without",
  ignore: !go,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-pclntab-" });
    try {
      const bin = await buildGo(go!, GO_HTTPS_CLIENT, dir);
      const h = header(bin);
      const textField = h.offset + 24; // magic, pad, quantum, ptrsize; nfunc; nfiles; textStart
      const noText = await zeroed(bin, [textField]);
      {
        using elf = ElfFile.open(noText);
        const t = readPclntab(elf)!;
        assert.equal(t.textFrom, "moduledata");
        assert.deepEqual(t.funcs, h.funcs, "the same functions at the same addresses");
        assert.equal(locateGoTls(elf).hooks.length, 2);
      }
      // Without the moduledata word that points to the table, the locator says why.
      const bytes = await Deno.readFile(bin);
      const pointers = wordOffsets(bytes, h.vaddr)
        .filter((o) => h.data.some(([from, to]) => o >= from && o < to));
      assert.ok(pointers.length >= 1, "moduledata.pcHeader");
      using lost = ElfFile.open(await zeroed(bin, [textField, ...pointers]));
      const r = locateGoTls(lost);
      assert.deepEqual(r.hooks, []);
      assert.match(r.note ?? "", /no text start in its header \(Go 1\.26\+\).*cannot be placed/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "gopclntab: a PIE's textStart 0 in the file is read from its relocation",
  ignore: !go,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-pclntab-pie-" });
    try {
      const bin = await buildGo(go!, GO_HTTPS_CLIENT, dir, ["-buildmode=pie"]);
      const h = header(bin);
      using elf = ElfFile.open(await zeroed(bin, [h.offset + 24]));
      const t = readPclntab(elf)!;
      assert.equal(t.textFrom, "header");
      assert.deepEqual(t.funcs, h.funcs);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
