import assert from "node:assert/strict";
import { ElfFile } from "../elf.ts";
import { SKIP_NOT_ROOT, tempCacheDir } from "./test_gate.ts";
import { startTlsFixture } from "./tls_fixture.ts";
import { uprobesOfRun } from "./uprobe_check.ts";
import { locate } from "./mod.ts";
import { readPclntab } from "./gopclntab.ts";
import { buildGo, GO_HTTPS_CLIENT, goTool } from "../../tests/support/go.ts";

const go = SKIP_NOT_ROOT ? undefined : await goTool();
if (!go) {
  console.warn("capture/locate: Go tests skipped: no go toolchain and not root to install it");
}

Deno.test({
  name: "Go: locate() finds crypto/tls.(*Conn).Write/Read and Read's RETs in a stripped binary",
  ignore: !go,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-locate-go-" });
    try {
      const bin = await buildGo(go!, GO_HTTPS_CLIENT, dir);
      using elf = ElfFile.open(bin);
      assert.equal(elf.staticSymbols().length, 0, "built stripped");
      const r = await locate(bin, { cacheDir: await tempCacheDir() });
      assert.equal(r.ok, true, r.reason);
      assert.equal(r.library, "go-crypto-tls");
      const w = r.hooks.find((h) => h.fn === "crypto/tls.(*Conn).Write")!;
      const rd = r.hooks.find((h) => h.fn === "crypto/tls.(*Conn).Read")!;
      assert.ok(w && rd, JSON.stringify(r.hooks));
      assert.ok(rd.retOffsets && rd.retOffsets.length > 0, "Read has RETs");
      const bytes = await Deno.readFile(bin);
      for (const off of rd.retOffsets!) {
        assert.equal(bytes[off], 0xc3, `RET at 0x${off.toString(16)}`);
      }
      // The names must be the table's own: every function of the table is inside .text.
      const text = elf.section(".text")!;
      const table = readPclntab(elf)!;
      assert.ok(table.funcs.every((f) => f.entry >= text.addr && f.entry < text.addr + text.size));

      if (SKIP_NOT_ROOT) return;
      const server = await startTlsFixture();
      try {
        const probes = [
          // Go register ABI: receiver c in RAX, b.ptr in RBX, b.len in RCX.
          {
            name: "go_write",
            path: bin,
            offset: w.fileOffset,
            fetch: "len=%cx:u64 data=+0(%bx):u8[40]",
          },
          ...rd.retOffsets!.map((off, i) => ({
            name: `go_read_ret${i}`,
            path: bin,
            offset: off,
            fetch: "n=%ax:s64", // results: n in RAX, err in RBX/RCX
          })),
        ];
        const { output, hits: mine } = await uprobesOfRun(probes, bin, {
          args: [server.url],
          env: { SSL_CERT_FILE: server.caPath },
        }, 60_000);
        assert.match(new TextDecoder().decode(output.stdout), /^400 /);
        assert.deepEqual(server.requests.map((q) => `${q.method} ${q.path}`), [
          "POST /go-client-path",
        ]);
        assert.ok(
          mine.some((h) => h.name === "go_write" && h.args.data.startsWith("POST /go-client-path")),
          JSON.stringify(mine),
        );
        const reads = mine.filter((h) => h.name.startsWith("go_read_ret"));
        assert.ok(reads.some((h) => Number(h.args.n) > 0), JSON.stringify(reads));
      } finally {
        await server.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "Go: a stripped PIE (table in .data.rel.ro.gopclntab, relro segment) is located",
  ignore: !go,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-locate-gopie-" });
    try {
      const bin = await buildGo(go!, GO_HTTPS_CLIENT, dir, ["-buildmode=pie"]);
      using elf = ElfFile.open(bin);
      assert.equal(elf.type, 3, "ET_DYN");
      assert.equal(elf.section(".gopclntab"), undefined, "the table has the relro name");
      const r = await locate(bin, { cacheDir: await tempCacheDir() });
      assert.equal(r.ok, true, r.reason);
      const text = elf.section(".text")!;
      const bytes = await Deno.readFile(bin);
      for (const h of r.hooks) {
        assert.ok(h.vaddr >= text.addr && h.vaddr < text.addr + text.size, h.evidence);
        // right after the stack check's JLS (JBE rel8 or rel32) to runtime.morestack
        assert.match(h.evidence, /hooked after its stack check/);
        const o = h.fileOffset;
        assert.ok(bytes[o - 2] === 0x76 || (bytes[o - 6] === 0x0f && bytes[o - 5] === 0x86), h.fn);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
