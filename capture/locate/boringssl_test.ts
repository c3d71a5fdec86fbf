import assert from "node:assert/strict";
import { ElfFile } from "../elf.ts";
import { CLAUDE_EXE, SKIP_NOT_ROOT, tempCacheDir } from "./test_gate.ts";
import { startTlsFixture } from "./tls_fixture.ts";
import { uprobesOfRun } from "./uprobe_check.ts";
import { locate } from "./mod.ts";
import { SSL_REASONS } from "./boringssl.ts";

// Oracle for the pinned Claude Code 2.1.330 only (found by hand with objdump while writing
// this test); the locator never sees these numbers. Checked only when the build-id matches.
const PINNED_BUILD = "d72a729b5627657c0649e49ae9d771fec0783039";
const PINNED = { SSL_write: 0x331e660, SSL_read: 0x331e810 };

Deno.test("Claude Code: locate() finds SSL_write/SSL_read in the stripped Bun binary", async () => {
  const r = await locate(CLAUDE_EXE, { cacheDir: await tempCacheDir() });
  assert.equal(r.ok, true, r.reason);
  assert.equal(r.library, "boringssl");
  const fns = r.hooks.map((h) => h.fn).sort();
  assert.deepEqual(fns, ["SSL_read", "SSL_write"]);
  using elf = ElfFile.open(CLAUDE_EXE);
  assert.equal(elf.dynamicSymbols().some((s) => s.name === "SSL_write"), false, "no symbols");
  for (const h of r.hooks) {
    assert.equal(elf.vaddrToOffset(h.vaddr), h.fileOffset);
    assert.ok(h.confidence >= 0.8, `${h.fn}: ${h.confidence} ${h.evidence}`);
    if (r.buildId === PINNED_BUILD) assert.equal(h.vaddr, PINNED[h.fn as keyof typeof PINNED]);
  }
});

Deno.test("Claude Code: BoringSSL reason codes agree with the binary's own error-string table", () => {
  // BoringSSL's err_data.c: kOpenSSLReasonValues[] = (lib << 26 | reason << 15 | offset) into
  // kOpenSSLReasonStringData. Find the SSL entry of "UNINITIALIZED" and read its neighbours.
  const bytes = Deno.readFileSync(CLAUDE_EXE);
  const names = reasonTable(bytes, 16);
  assert.ok(names.size > 100, "SSL reason table found");
  for (const [name, code] of Object.entries(SSL_REASONS)) {
    if (name === "SHOULD_NOT_HAVE_BEEN_CALLED") continue; // an ERR_R_ (library-wide) reason
    assert.equal(names.get(code), name, `SSL_R_${name}`);
  }
});

Deno.test({
  name: "Claude Code: uprobes at the located offsets see the HTTPS request plaintext",
  ignore: SKIP_NOT_ROOT,
  async fn() {
    const r = await locate(CLAUDE_EXE, { cacheDir: await tempCacheDir() });
    const write = r.hooks.find((h) => h.fn === "SSL_write")!;
    const read = r.hooks.find((h) => h.fn === "SSL_read")!;
    const server = await startTlsFixture();
    const home = await Deno.makeTempDir({ prefix: "sl-locate-claude-home-" });
    try {
      const { pid, hits: mine } = await uprobesOfRun(
        [
          // SSL_write(SSL *ssl /*rdi*/, const void *buf /*rsi*/, int num /*edx*/)
          {
            name: "ssl_write",
            path: CLAUDE_EXE,
            offset: write.fileOffset,
            fetch: "len=%dx:s32 data=+0(%si):u8[48]",
          },
          // SSL_read(SSL *ssl, void *buf, int num): the buffer is filled by return time.
          { name: "ssl_read", path: CLAUDE_EXE, offset: read.fileOffset, fetch: "len=%dx:s32" },
        ],
        CLAUDE_EXE,
        {
          args: ["-p", "hi"],
          cwd: home,
          clearEnv: true,
          env: {
            PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
            HOME: home,
            ANTHROPIC_BASE_URL: server.url,
            ANTHROPIC_API_KEY: "x",
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
            DISABLE_TELEMETRY: "1",
            DISABLE_AUTOUPDATER: "1",
            DISABLE_ERROR_REPORTING: "1",
            NODE_EXTRA_CA_CERTS: server.caPath,
            SSL_CERT_FILE: server.caPath,
          },
        },
        120_000,
      );
      const posts = server.requests.filter((q) => q.method === "POST");
      assert.ok(
        posts.some((q) => q.path.startsWith("/v1/messages")),
        JSON.stringify(server.requests),
      );
      const writes = mine.filter((h) => h.name === "ssl_write");
      // Every request the server received was written through the hooked SSL_write.
      for (const q of server.requests) {
        const line = `${q.method} ${q.path}`;
        assert.ok(
          writes.some((w) => w.args.data.startsWith(line.slice(0, 40))),
          `no SSL_write hit carries "${line}": ${writes.map((w) => JSON.stringify(w.args.data))}`,
        );
      }
      assert.ok(mine.some((h) => h.name === "ssl_read"), "SSL_read fired for the responses");
      console.log(
        `  ${server.requests.length} requests; ${writes.length} SSL_write / ` +
          `${mine.length - writes.length} SSL_read hits in pid ${pid}; first write: ` +
          JSON.stringify(writes.find((w) => w.args.data.startsWith("POST"))?.args.data),
      );
    } finally {
      await server.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});

/** Reason code -> name for `lib`, from an err_data.c table inside `bytes` (test helper). */
function reasonTable(bytes: Uint8Array, lib: number): Map<number, string> {
  const text = new TextDecoder("latin1");
  const anchor = indexOf(bytes, new TextEncoder().encode("\0UNINITIALIZED\0")) + 1;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const key = (lib << 26 | SSL_REASONS.UNINITIALIZED << 15) >>> 0;
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    const v = dv.getUint32(i, true);
    if ((v & 0xffff8000) >>> 0 !== key) continue;
    const base = anchor - (v & 0x7fff);
    const out = new Map<number, string>();
    // Walk the sorted table both ways from this entry.
    for (const step of [-4, 4]) {
      for (let j = i, prev = v; j >= 0 && j + 4 <= bytes.length; j += step) {
        const w = dv.getUint32(j, true);
        if (j !== i && (step > 0 ? w <= prev : w >= prev)) break;
        prev = w;
        if (w >>> 26 !== lib) continue;
        const o = base + (w & 0x7fff);
        if (o <= 0 || bytes[o - 1] !== 0) break;
        out.set((w >>> 15) & 0x7ff, text.decode(bytes.subarray(o, bytes.indexOf(0, o))));
      }
    }
    if (out.get(SSL_REASONS.UNINITIALIZED) === "UNINITIALIZED" && out.size > 100) return out;
  }
  return new Map();
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  for (let i = hay.indexOf(needle[0]); i >= 0; i = hay.indexOf(needle[0], i + 1)) {
    let k = 1;
    while (k < needle.length && hay[i + k] === needle[k]) k++;
    if (k === needle.length) return i;
  }
  return -1;
}
