/**
 * A real Go program built by its vendor with a Go newer than the machine's: buf 1.75.0
 * (`@bufbuild/buf-linux-x64` from npm, installed at run time into `.cache/agents/`; go1.27.3,
 * stripped, static). Since Go 1.26 the `.gopclntab` header no longer records where the text
 * starts (it is 0), so the locator must take it from runtime.moduledata; before that fix it
 * placed every function near address 0 and found no crypto/tls at all. Under capture, `buf
 * curl` sends a Connect request through Go's crypto/tls, and the recording holds its exact
 * plaintext both ways. No Go coding agent installs here: Crush's npm package downloads its
 * binary from GitHub at install time (reports/coverage/new_agents.md).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ElfFile } from "../../capture/elf.ts";
import { locate } from "../../capture/locate/mod.ts";
import { goVersion } from "../../capture/locate/gopclntab.ts";
import { tlsStreams } from "../../recording/recording.ts";
import { makeTestCerts } from "../../tests/support/certs.ts";
import {
  masked,
  SESSION_COOKIE,
  simpleResponse,
  startRawHttpsServer,
} from "../../tests/support/raw_https_server.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { captureForTest } from "../../tests/support/capture.ts";
import { type Installable, installBuild } from "../coverage/builds.ts";

const BUF_VERSION = "1.75.0";
const BUF: Installable = {
  agent: "buf",
  install: (v) => [`@bufbuild/buf-linux-x64@${v}`],
  ignoreScripts: true,
  target: (dir) => join(dir, "node_modules", "@bufbuild", "buf-linux-x64", "bin", "buf"),
};

async function buf(): Promise<string> {
  // downloads the build from npm on first use (CI starts from a clean clone)
  const b = await installBuild(BUF, BUF_VERSION);
  assert.equal(b.error, undefined, b.error);
  return b.target!;
}

Deno.test("buf 1.75.0 (go1.27.3, stripped): crypto/tls located through moduledata", async () => {
  const bin = await buf();
  using elf = ElfFile.open(bin);
  assert.match(goVersion(elf) ?? "", /^go1\.(2[6-9]|[3-9]\d)/, "built with Go 1.26 or later");
  const r = await locate(bin, { noCache: true });
  assert.equal(r.ok, true, r.reason);
  assert.equal(r.library, "go-crypto-tls");
  const text = elf.section(".text")!;
  const bytes = await Deno.readFile(bin);
  for (const fn of ["crypto/tls.(*Conn).Write", "crypto/tls.(*Conn).Read"]) {
    const h = r.hooks.find((h) => h.fn === fn);
    assert.ok(h, `${fn}: ${JSON.stringify(r.hooks)}`);
    assert.match(h.evidence, /text base from its moduledata/);
    assert.ok(h.vaddr >= text.addr && h.vaddr < text.addr + text.size, h.evidence);
    // right after the stack check's JLS (JBE rel8 or rel32) to runtime.morestack
    assert.match(h.evidence, /hooked after its stack check/);
    const o = h.fileOffset;
    assert.ok(bytes[o - 2] === 0x76 || (bytes[o - 6] === 0x0f && bytes[o - 5] === 0x86), fn);
  }
  const read = r.hooks.find((h) => h.fn === "crypto/tls.(*Conn).Read")!;
  assert.ok(read.retOffsets?.length, "Read's RETs");
  for (const off of read.retOffsets!) assert.equal(bytes[off], 0xc3);
});

Deno.test({
  name: "buf 1.75.0 (go1.27.3) under capture: a Connect request's plaintext byte for byte",
  ignore: skipWithoutRoot(),
  async fn() {
    const bin = await buf();
    const dir = await Deno.makeTempDir({ prefix: "sl-buf-" });
    const certs = await makeTestCerts();
    // the Connect answer: R{s: "ok"} in protobuf
    const answer = new Uint8Array([0x0a, 2, 0x6f, 0x6b]);
    const srv = startRawHttpsServer(certs, () => simpleResponse(answer, "application/proto"));
    try {
      await Deno.mkdir(join(dir, "proto"));
      await Deno.writeTextFile(
        join(dir, "proto", "t.proto"),
        'syntax = "proto3";\npackage t.v1;\nmessage R { string s = 1; }\n' +
          "service S { rpc M(R) returns (R); }\n",
      );
      const { res, rec } = await captureForTest({
        cmd: [
          bin,
          "curl",
          "--schema",
          join(dir, "proto"),
          "--data",
          '{"s":"go"}',
          `${srv.url}/t.v1.S/M`,
        ],
        env: { SSL_CERT_FILE: certs.caPath, HOME: dir, BUF_CACHE_DIR: join(dir, "cache") },
      });
      assert.equal(res.exitCode, 0);
      assert.equal(srv.exchanges.length, 1);
      const hooked = (rec.manifest.attach as { hooked: { library?: string; path: string }[] })
        .hooked.find((h) => h.path === bin);
      assert.equal(hooked?.library, "go-crypto-tls", JSON.stringify(rec.manifest.attach));
      const s = tlsStreams(rec.tls).find((s) => s.write.length)!;
      assert.ok(s, "a TLS stream with writes");
      const dec = new TextDecoder("latin1");
      assert.equal(dec.decode(s.write), dec.decode(srv.exchanges[0].request));
      assert.equal(
        dec.decode(s.read),
        masked(dec.decode(srv.exchanges[0].response), SESSION_COOKIE),
      );
    } finally {
      await srv.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
