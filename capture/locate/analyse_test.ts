/**
 * runMethods (through locate): a libssl named in a symbol table does not hide a second TLS
 * stack without names beside it, nor is a BoringSSL libssl's own AEAD hooked beside its names.
 * The pinned agents' real binaries are given a `.symtab` naming their libssl, as an unstripped
 * build has one (sandbox-agent 0.4.2 from npm: OpenSSL 1.1.1w by `.symtab` and rustls 0.21
 * over ring; only the OpenSSL was hooked). The names are put at the entries the stripped
 * binary's own locate found: where they point is not what is tested.
 */
import assert from "node:assert/strict";
import { CLAUDE_EXE, CODEX_EXE, tempCacheDir } from "./test_gate.ts";
import { locate } from "./mod.ts";
import { withNames } from "../../tests/support/named_copy.ts";

Deno.test("OpenSSL named by .symtab beside rustls over aws-lc and ring (Codex given names): every stack hooked", async () => {
  const dir = await tempCacheDir();
  try {
    const stripped = await locate(CODEX_EXE, { cacheDir: dir });
    assert.equal(stripped.ok, true, stripped.reason);
    const at = (fn: string) => stripped.hooks.find((h) => h.fn === fn)!.vaddr;
    const named = await withNames(CODEX_EXE, {
      SSL_write: at("ssl_write_internal"),
      SSL_read: at("ssl_read_internal"),
    }, dir);
    // its own cache: the copy keeps the build ID (and Claude Code has a small .symtab already)
    const r = await locate(named, { noCache: true });
    assert.equal(r.ok, true, r.reason);
    assert.deepEqual(r.libraries, ["openssl", "aws-lc", "ring"], r.tried.join("\n"));
    assert.match(r.method, /^symbol table \(\.symtab\) \+ /);
    // the libssl by its names only (no second hook on it from its error sites)
    assert.equal(r.hooks.some((h) => h.fn === "ssl_write_internal"), false);
    const others = (hooks: typeof r.hooks) =>
      hooks.filter((h) => !/^(SSL_|ssl_)/.test(h.fn)).map((h) => [h.fn, h.vaddr]);
    assert.deepEqual(others(r.hooks), others(stripped.hooks));
    assert.ok(others(r.hooks).some(([fn]) => fn === "ring_aes_gcm_seal"));
    assert.ok(others(r.hooks).some(([fn]) => fn === "EVP_AEAD_CTX_seal"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("BoringSSL named by .symtab (Claude Code given names): its own aead.c is not hooked", async () => {
  const dir = await tempCacheDir();
  try {
    const stripped = await locate(CLAUDE_EXE, { cacheDir: dir });
    assert.equal(stripped.ok, true, stripped.reason);
    const at = (fn: string) => stripped.hooks.find((h) => h.fn === fn)!.vaddr;
    const named = await withNames(CLAUDE_EXE, {
      SSL_write: at("SSL_write"),
      SSL_read: at("SSL_read"),
    }, dir);
    // its own cache: the copy keeps the build ID (and Claude Code has a small .symtab already)
    const r = await locate(named, { noCache: true });
    assert.equal(r.ok, true, r.reason);
    assert.equal(r.method, "symbol table (.symtab)");
    assert.deepEqual(r.hooks.map((h) => [h.fn, h.vaddr]), [
      ["SSL_write", at("SSL_write")],
      ["SSL_read", at("SSL_read")],
    ]);
    assert.ok(
      r.tried.some((t) => /^aead\.c: not hooked, it may be the AEAD of the libssl named/.test(t)),
      r.tried.join("\n"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
