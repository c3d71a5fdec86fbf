/**
 * inspectFile on shared libraries a program loads itself (dlopen, as Node loads an addon): one
 * with a TLS stack linked in and hidden goes to the static-binary locator, which hooks it; one
 * that imports the TLS API from libssl.so has nothing of its own to hook.
 */
import assert from "node:assert/strict";
import { inspectFile } from "./tls_targets.ts";
import { locateForCapture } from "./locator_glue.ts";
import { buildSharedClients } from "../tests/support/static_openssl.ts";

Deno.test("a shared library with OpenSSL linked in and hidden is located; one importing it is not", async () => {
  const libs = await buildSharedClients();
  const cache = await Deno.makeTempDir({ prefix: "sl-tls-targets-" });
  try {
    const own = inspectFile(libs.statically);
    assert.equal(own.status, "unlocated", own.reason);
    const located = await locateForCapture(libs.statically, own, cache, () => {});
    assert.equal(located.status, "hooked", located.reason);
    assert.deepEqual(located.hooks.map((h) => h.fn).sort(), [
      "ssl_read_internal",
      "ssl_write_internal",
    ]);
    const client = inspectFile(libs.dynamically);
    assert.equal(client.status, "none");
    assert.match(client.reason ?? "", /^imports SSL_\w+: the library it comes from is hooked$/);
  } finally {
    await Deno.remove(libs.dir, { recursive: true });
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("a shared library exporting the AEAD API (a libcrypto beside a libssl) is not located", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-tls-targets-crypto-" });
  try {
    const src = `${dir}/crypto.c`, lib = `${dir}/libcrypto_like.so`;
    await Deno.writeTextFile(
      src,
      "int EVP_AEAD_CTX_seal(void) { return 1; }\nint EVP_AEAD_CTX_open(void) { return 1; }\n",
    );
    const r = await new Deno.Command("gcc", {
      args: ["-O2", "-shared", "-fPIC", "-o", lib, src],
      stderr: "piped",
    }).output();
    assert.ok(r.success, new TextDecoder().decode(r.stderr));
    const insp = inspectFile(lib);
    assert.equal(insp.status, "none");
    assert.match(insp.reason ?? "", /^exports EVP_AEAD_CTX_(seal|open): a libcrypto/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
