/**
 * A stripped Go HTTPS client (built here with Debian's golang-go, stdlib only) under capture:
 * crypto/tls is found through .gopclntab, Write is hooked at entry and Read at each RET, and
 * the exact request and response bytes come back out of tls.arrow.
 */
import assert from "node:assert/strict";
import {
  masked,
  SESSION_COOKIE,
  simpleResponse,
  withHttpsServer,
} from "../tests/support/raw_https_server.ts";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureForTest } from "../tests/support/capture.ts";
import { tlsStreams } from "../recording/recording.ts";
import {
  buildGo,
  GO_HTTPS_CLIENT,
  GO_STACK_WRITES,
  GO_STACK_WRITES_CHUNKS,
  goTool,
} from "../tests/support/go.ts";

async function buildGoClient(source = GO_HTTPS_CLIENT): Promise<string> {
  const go = await goTool();
  assert.ok(go, "no go toolchain");
  return await buildGo(go, source, await Deno.makeTempDir({ prefix: "sl-go-" }));
}

Deno.test({
  name: "a stripped Go client: crypto/tls located and its plaintext recorded exactly",
  ignore: skipWithoutRoot(),
  async fn() {
    const client = await buildGoClient();
    await withHttpsServer(() => simpleResponse("hello go"), async (srv, certs) => {
      const { res, rec } = await captureForTest({
        cmd: [client, srv.url],
        env: { SSL_CERT_FILE: certs.caPath },
      });
      assert.equal(res.exitCode, 0);
      assert.equal(srv.exchanges.length, 1);
      const hooked = (rec.manifest.attach as { hooked: { library?: string; path: string }[] })
        .hooked.find((h) => h.path === client);
      assert.equal(hooked?.library, "go-crypto-tls");
      const s = tlsStreams(rec.tls).find((s) => s.write.length)!;
      const dec = new TextDecoder();
      const [ex] = srv.exchanges;
      assert.equal(dec.decode(s.write), masked(dec.decode(ex.request), "Bearer go-secret-token"));
      assert.equal(dec.decode(s.read), masked(dec.decode(ex.response), SESSION_COOKIE));
      assert.ok(rec.tls.some((r) => r.fn === "crypto/tls.(*Conn).Read"));
    });
  },
});

Deno.test({
  name: "Go writes that grow their goroutine's stack are recorded once (hook after the check)",
  ignore: skipWithoutRoot(),
  async fn() {
    const client = await buildGoClient(GO_STACK_WRITES);
    await withHttpsServer(() => simpleResponse("stack"), async (srv, certs) => {
      const { res, rec } = await captureForTest({
        cmd: [client, srv.url],
        env: { SSL_CERT_FILE: certs.caPath },
      });
      assert.equal(res.exitCode, 0);
      assert.equal(srv.exchanges.length, 1);
      assert.equal(srv.exchanges[0].body.length, GO_STACK_WRITES_CHUNKS * 6);
      const writes = rec.tls.filter((r) => r.fn === "crypto/tls.(*Conn).Write");
      assert.equal(writes.length, GO_STACK_WRITES_CHUNKS + 1, "one row per Write call");
      const s = tlsStreams(rec.tls).find((s) => s.write.length)!;
      const dec = new TextDecoder();
      assert.equal(dec.decode(s.write), dec.decode(srv.exchanges[0].request));
    });
  },
});

/** The names of the capture's TLS programs the kernel holds now, by family (bpftool). */
async function loadedTlsFamilies(): Promise<string[]> {
  const out = await new Deno.Command("bpftool", { args: ["-j", "prog", "show"], stdout: "piped" })
    .output();
  assert.ok(out.success, "bpftool prog show failed");
  const names = (JSON.parse(new TextDecoder().decode(out.stdout)) as { name?: string }[])
    .map((p) => p.name ?? "");
  return ["sl_ssl_", "sl_go_", "sl_gnutls_", "sl_ring_", "sl_aead_"]
    .filter((f) => names.some((n) => n.startsWith(f)));
}

Deno.test({
  name:
    "the Go, GnuTLS, ring and AEAD programs are loaded only once a hook needs one; OpenSSL's with every capture",
  ignore: skipWithoutRoot(),
  async fn() {
    const client = await buildGoClient();
    const dir = await Deno.makeTempDir({ prefix: "sl-go-parts-" });
    // the command says it has started and waits to be told to run the Go client
    const started = `${dir}/started`, goOn = `${dir}/go-on`;
    const wait = (f: string) => `while [ ! -e '${f}' ]; do sleep 0.05; done`;
    await withHttpsServer(() => simpleResponse("parts"), async (srv, certs) => {
      const capture = captureForTest({
        cmd: [
          "/bin/sh",
          "-c",
          `: > '${started}'; ${
            wait(goOn)
          }; '${client}' '${srv.url}'; sleep 0.2; : > '${dir}/ran'; ${wait(`${dir}/done`)}`,
        ],
        env: { SSL_CERT_FILE: certs.caPath },
      });
      const until = async (f: string) => {
        for (let i = 0; i < 400 && !(await Deno.stat(f).then(() => true, () => false)); i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await until(started);
      // OpenSSL's programs load meanwhile, at the lowest priority until the release
      let before = await loadedTlsFamilies();
      for (let i = 0; i < 200 && !before.includes("sl_ssl_"); i++) {
        await new Promise((r) => setTimeout(r, 50));
        before = await loadedTlsFamilies();
      }
      await Deno.writeTextFile(goOn, "");
      await until(`${dir}/ran`);
      const after = await loadedTlsFamilies();
      await Deno.writeTextFile(`${dir}/done`, "");
      const { res } = await capture;
      assert.equal(res.exitCode, 0);
      assert.equal(srv.exchanges.length, 1);
      assert.deepEqual(before, ["sl_ssl_"], "before the Go client ran");
      assert.deepEqual(after, ["sl_ssl_", "sl_go_", "sl_gnutls_", "sl_ring_", "sl_aead_"]);
    });
    await Deno.remove(dir, { recursive: true });
  },
});
