/**
 * runtime.ts: the TLS code a file carries, read from its strings, whether the Rust crates sit in
 * cargo's registry paths or in a Bazel build's vendored crate directories (GitHub Copilot CLI's
 * runtime.node: `vendor__rustls-0.23.46/src/`, and aws-lc's sources from the tree's root).
 */

import assert from "node:assert/strict";
import { buildMakeup } from "./runtime.ts";

async function makeupOf(...strings: string[]) {
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(path, `\x7fELF\0${strings.join("\0")}\0`);
    return await buildMakeup(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("buildMakeup: cargo's registry paths", async () => {
  const m = await makeupOf(
    "/root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/rustls-0.23.20/src/conn.rs",
    "/root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/aws-lc-sys-0.24.0/aws-lc/crypto/fipsmodule/cipher/aead.c",
    "/rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/core/src/fmt/mod.rs",
  );
  assert.deepEqual(m, { runtime: "Rust", tls: ["aws-lc-sys 0.24.0", "rustls 0.23.20"] });
});

Deno.test("buildMakeup: a Bazel build's vendored crates and aws-lc from the tree's root", async () => {
  // as in GitHub Copilot CLI 1.0.102's runtime.node
  const m = await makeupOf(
    "external/rules_rust~~crate~crates__vendor__rustls-0.23.46/src/conn.rs",
    "crypto/internal.h",
    "aws-lc/crypto/fipsmodule/cipher/aead.c",
    "OpenSSL 3.5.8 1 Jul 2025",
  );
  assert.deepEqual(m.tls, ["OpenSSL 3.5.8", "aws-lc", "rustls 0.23.46"]);
});

Deno.test("buildMakeup: a name that only ends like a crate is not one", async () => {
  const m = await makeupOf("libmyaws-lc/crypto/fipsmodule/cipher/aead.c", "xrustls-1.0.0/src/");
  assert.deepEqual(m.tls, []);
});
