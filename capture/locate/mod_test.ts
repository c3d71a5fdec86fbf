import assert from "node:assert/strict";
import { CLAUDE_EXE, CODEX_EXE, tempCacheDir } from "./test_gate.ts";
import { locate } from "./mod.ts";
import { quickScan } from "./quick_scan.ts";
import { ElfFile } from "../elf.ts";
import { buildStaticClients } from "../../tests/support/static_openssl.ts";

Deno.test("refuses /bin/ls in milliseconds, saying why", async () => {
  const r = await locate("/bin/ls", { cacheDir: await tempCacheDir() });
  assert.equal(r.ok, false);
  assert.deepEqual(r.hooks, []);
  assert.match(r.reason!, /^no TLS library found: /);
  assert.ok(r.tried.length >= 1 && r.tried[0].startsWith("quick scan:"), r.tried.join("\n"));
  const q = quickScan("/bin/ls");
  assert.equal(q.maybe, false);
  assert.ok(q.durationMs < 50, `quickScan /bin/ls took ${q.durationMs} ms`);
});

Deno.test("refuses a freshly built C program without TLS, and a non-ELF file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-locate-c-" });
  try {
    await Deno.writeTextFile(`${dir}/hello.c`, '#include <stdio.h>\nint main(){puts("hi");}\n');
    const cc = await new Deno.Command("cc", {
      args: ["-O2", "-s", "-o", "hello", "hello.c"],
      cwd: dir,
    })
      .output();
    assert.ok(cc.success, new TextDecoder().decode(cc.stderr));
    const r = await locate(`${dir}/hello`, { cacheDir: `${dir}/cache` });
    assert.equal(r.ok, false);
    assert.match(r.reason!, /no TLS library found/);
    await Deno.writeTextFile(`${dir}/script.sh`, "#!/bin/sh\necho hi\n");
    const s = await locate(`${dir}/script.sh`, { cacheDir: `${dir}/cache` });
    assert.equal(s.ok, false);
    assert.match(s.reason!, /not an ELF file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a library that exports SSL_write/SSL_read is located by its dynamic symbols", async () => {
  const lib = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
  const r = await locate(lib, { cacheDir: await tempCacheDir() });
  assert.equal(r.ok, true, r.reason);
  assert.equal(r.library, "openssl");
  assert.equal(r.method, "dynamic symbols");
  assert.deepEqual(r.hooks.map((h) => h.fn).sort(), [
    "SSL_free",
    "SSL_read",
    "SSL_read_ex",
    "SSL_write",
    "SSL_write_ex",
  ]);
  const nm = await new Deno.Command("nm", { args: ["-D", "--defined-only", lib] }).output();
  const syms = new TextDecoder().decode(nm.stdout);
  for (const h of r.hooks) {
    assert.match(syms, new RegExp(`^0*${h.vaddr.toString(16)} T ${h.fn}(@@\\S+)?$`, "m"));
  }
});

for (const [name, path] of [["Claude Code", CLAUDE_EXE], ["Codex", CODEX_EXE]]) {
  Deno.test(`cache: a second locate() of ${name} is served from the cache, same hooks`, async () => {
    const dir = await tempCacheDir();
    try {
      const cold = await locate(path, { cacheDir: dir });
      assert.equal(cold.ok, true, cold.reason);
      assert.equal(cold.cached, false);
      const warm = await locate(path, { cacheDir: dir });
      assert.equal(warm.cached, true);
      assert.deepEqual(warm.hooks, cold.hooks);
      assert.equal(warm.cacheKey, cold.cacheKey);
      const files = [...Deno.readDirSync(dir)].map((f) => f.name);
      assert.equal(files.filter((f) => !f.startsWith("stat-")).length, 1, files.join());
      for (const f of files) assert.equal((await Deno.stat(`${dir}/${f}`)).mode! & 0o777, 0o600);
      console.log(`  ${name}: cold ${cold.durationMs} ms, cached ${warm.durationMs} ms`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("a static OpenSSL: by .symtab when kept, by its error sites' function names when stripped", async () => {
  const c = await buildStaticClients();
  try {
    const named = await locate(c.symbols, { cacheDir: `${c.dir}/cache` });
    assert.equal(named.method, "symbol table (.symtab)");
    assert.deepEqual(named.hooks.map((h) => h.fn).sort(), [
      "SSL_free",
      "SSL_read",
      "SSL_read_ex",
      "SSL_write",
      "SSL_write_ex",
    ]);
    using elf = ElfFile.open(c.symbols);
    assert.equal(elf.dynamicSymbols().some((s) => s.name === "SSL_write"), false, "not exported");
    const sym = (name: string) => elf.staticSymbols().find((s) => s.name === name)!.value;
    // stripped: the internal functions SSL_write(_ex) and SSL_read(_ex) all go through
    const r = await locate(c.stripped, { cacheDir: `${c.dir}/cache` });
    assert.equal(r.ok, true, r.reason);
    assert.equal(r.library, "openssl");
    assert.match(r.method, /__func__/);
    for (const fn of ["ssl_write_internal", "ssl_read_internal"]) {
      const h = r.hooks.find((x) => x.fn === fn)!;
      assert.equal(h.vaddr, sym(fn), `${fn}: ${h.evidence}`);
      // OpenSSL 3.0's ssl_write_internal(s, buf, num, written): the count comes back via rcx
      assert.equal(h.lenArg, 3, h.evidence);
    }
  } finally {
    await Deno.remove(c.dir, { recursive: true });
  }
});

Deno.test("a cache that cannot be written does not cost the answer: it is said", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-locate-nocache-" });
  try {
    await Deno.writeTextFile(`${dir}/file`, "");
    const said: string[] = [];
    const r = await locate("/bin/ls", {
      cacheDir: `${dir}/file/cache`,
      onCacheError: (why) => said.push(why),
    });
    assert.equal(r.ok, false);
    assert.match(r.reason!, /^no TLS library found: /);
    assert.equal(said.length, 1);
    assert.match(said[0], /^Not a directory \(os error 20\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
