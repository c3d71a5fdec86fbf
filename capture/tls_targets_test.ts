/**
 * inspectFile on shared libraries a program loads itself (dlopen, as Node loads an addon): one
 * with a TLS stack linked in and hidden goes to the static-binary locator, which hooks it; one
 * that imports the TLS API from libssl.so has nothing of its own to hook; one that connects to
 * no server of its own (no connect, or no lookup of a server beside it) is none without a scan.
 * And executables that look like libraries: a static-PIE, with or without the DF_1_PIE flag.
 * An executable whose `.symtab` names its libssl is hooked by name, unless a TLS stack without
 * names sits beside it (rustls over ring or aws-lc): then the locator hooks both.
 */
import assert from "node:assert/strict";
import { inspectFile } from "./tls_targets.ts";
import { locateForCapture } from "./locator_glue.ts";
import {
  buildSharedClients,
  buildStaticClients,
  buildStaticPieClients,
} from "../tests/support/static_openssl.ts";
import { withNames } from "../tests/support/named_copy.ts";
import { CODEX_EXE } from "./locate/test_gate.ts";
import { locate } from "./locate/mod.ts";
import { ElfFile } from "./elf.ts";
import { buildSharedLibrary } from "../tests/support/shared_library.ts";

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

Deno.test("a shared library that connects to no server is none without a scan; one that does, or a Go library, is located", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-tls-targets-net-" });
  try {
    // a data or compute library (libicudata, libLLVM, numpy's): decided at one symbol-table read
    const quiet = await buildSharedLibrary(
      dir,
      "libquiet",
      "int sl_add(int a, int b) { return a + b; }\n",
    );
    const q = inspectFile(quiet);
    assert.equal(q.status, "none");
    assert.match(q.reason ?? "", /no connect import/);
    // one whose only sockets are local (libLLVM's, a JVM's attach listener): connect, no lookup
    const local = await buildSharedLibrary(
      dir,
      "liblocal",
      "#include <sys/socket.h>\nint sl_dial(int fd, const struct sockaddr *a, socklen_t n) { return connect(fd, a, n); }\n",
    );
    const l = inspectFile(local);
    assert.equal(l.status, "none");
    assert.match(l.reason ?? "", /no lookup of a server/);
    // one that connects to a server it is told of may carry its own TLS (runtime.node, cygrpc):
    // the locator decides
    const net = await buildSharedLibrary(
      dir,
      "libnet",
      "#include <netdb.h>\n#include <sys/socket.h>\nint sl_dial(const char *host, const char *port) {\n" +
        "  struct addrinfo *ai; if (getaddrinfo(host, port, 0, &ai)) return -1;\n" +
        "  int fd = socket(ai->ai_family, SOCK_STREAM, 0); return connect(fd, ai->ai_addr, ai->ai_addrlen);\n}\n",
    );
    assert.equal(inspectFile(net).status, "unlocated");
    // a node addon on the event loop it is given: libuv's connect and lookup (libuv imports
    // libc's), declared here as the addon sees them
    const uv = await buildSharedLibrary(
      dir,
      "libuvaddon",
      "int uv_tcp_connect(void *, void *, const void *, void *);\nint uv_getaddrinfo(void *, void *, void *, const char *, const char *, const void *);\n" +
        'int sl_dial(void *a, void *b, void *c, void *d) { uv_getaddrinfo(a, b, 0, "h", "443", 0); return uv_tcp_connect(a, b, c, d); }\n',
    );
    assert.equal(inspectFile(uv).status, "unlocated");
    // a Go c-shared library makes its system calls itself: its Go sections stand for connect
    const go = await buildSharedLibrary(
      dir,
      "libgo",
      '__attribute__((section(".go.buildinfo"), used)) static const char info[32] = "\\xff Go buildinf:";\nint sl_go(void) { return 1; }\n',
    );
    assert.equal(inspectFile(go).status, "unlocated");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a static-PIE is an executable and located, also without the DF_1_PIE flag old linkers did not write; the dynamic loader, with an entry point, is still a library", async () => {
  const bins = await buildStaticPieClients();
  const cache = await Deno.makeTempDir({ prefix: "sl-tls-targets-pie-" });
  try {
    for (const bin of [bins.pie, bins.noPieFlag]) {
      // ET_DYN, no interpreter, no DT_NEEDED, no connect import (libc is inside): as a library
      // it would be "none" and its TLS never hooked
      const elf = ElfFile.open(bin);
      assert.equal(elf.interpreter(), undefined);
      assert.deepEqual(elf.needed(), []);
      assert.equal(elf.isExecutable(), true, bin);
      elf.close();
      const insp = inspectFile(bin);
      assert.equal(insp.status, "unlocated", `${bin}: ${insp.reason}`);
      const located = await locateForCapture(bin, insp, cache, () => {});
      assert.equal(located.status, "hooked", located.reason);
      assert.deepEqual(located.hooks.map((h) => h.fn).sort(), [
        "ssl_read_internal",
        "ssl_write_internal",
      ]);
    }
    // the copy is what an old linker writes: the flag gone, the program still runs
    const run = await new Deno.Command(bins.noPieFlag, { stderr: "piped" }).output();
    assert.match(new TextDecoder().decode(run.stderr), /^usage: static_client/);
    // ld.so: an entry point, no interpreter and no DT_NEEDED, but a SONAME: a library that
    // connects nowhere
    const shell = ElfFile.open("/bin/sh");
    const loader = shell.interpreter()!;
    shell.close();
    const ld = ElfFile.open(loader);
    assert.ok(ld.entry !== 0 && ld.interpreter() === undefined && !ld.needed().length, loader);
    assert.equal(ld.isExecutable(), false);
    ld.close();
    const insp = inspectFile(loader);
    assert.equal(insp.status, "none");
    assert.match(insp.reason ?? "", /no connect import/);
  } finally {
    await Deno.remove(bins.dir, { recursive: true });
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("an executable naming its libssl in .symtab: hooked by name, or by the locator when rustls over ring or aws-lc is beside it", async () => {
  const cache = await Deno.makeTempDir({ prefix: "sl-tls-targets-named-" });
  const clients = await buildStaticClients();
  try {
    // OpenSSL alone (the test client, unstripped): its names, at one symbol-table read
    const alone = inspectFile(clients.symbols);
    assert.equal(alone.status, "hooked", alone.reason);
    assert.equal(alone.method, "symbol table (.symtab)");
    // the pinned Codex (OpenSSL, aws-lc and ring) given a .symtab naming its libssl, as
    // sandbox-agent 0.4.2 is built (OpenSSL by .symtab, rustls over ring): before, only the names
    const stripped = await locate(CODEX_EXE, { cacheDir: cache });
    const at = (fn: string) => stripped.hooks.find((h) => h.fn === fn)!.vaddr;
    const named = await withNames(CODEX_EXE, {
      SSL_write: at("ssl_write_internal"),
      SSL_read: at("ssl_read_internal"),
    }, cache);
    const insp = inspectFile(named);
    assert.equal(insp.status, "unlocated", `${insp.status}: ${insp.method}`);
    const located = await locateForCapture(named, insp, `${cache}/named`, () => {});
    assert.equal(located.status, "hooked", located.reason);
    const fns = located.hooks.map((h) => h.fn);
    for (const fn of ["SSL_write", "SSL_read", "EVP_AEAD_CTX_seal", "ring_aes_gcm_seal"]) {
      assert.ok(fns.includes(fn), `${fn} not in ${fns}`);
    }
  } finally {
    await Deno.remove(cache, { recursive: true });
    await Deno.remove(clients.dir, { recursive: true });
  }
});
