/**
 * The real proxy (tinyproxy) as the runner starts it: a CONNECT to a name only its hosts file
 * knows is answered 200 and tunnels bytes to the listener behind the name; its log names the
 * CONNECT. Root (the private mount namespace), and tinyproxy installed (scripts/setup.sh).
 */
import assert from "node:assert/strict";
import { startHttpProxy, tinyproxyConfig } from "./http_proxy.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("tinyproxy's configuration: the address, every port through CONNECT, its log", () => {
  const conf = tinyproxyConfig("192.0.2.2", 3128, "/tmp/x/tinyproxy.log");
  assert.match(conf, /^Port 3128$/m);
  assert.match(conf, /^Listen 192\.0\.2\.2$/m);
  assert.match(conf, /^Allow 192\.0\.2\.2$/m);
  assert.match(conf, /^LogFile "\/tmp\/x\/tinyproxy\.log"$/m);
  assert.doesNotMatch(
    conf,
    /ConnectPort/,
    "no ConnectPort: every port allowed",
  );
});

Deno.test({
  name: "a CONNECT through the proxy reaches a name only the proxy resolves",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-proxy-" });
    const proxy = await startHttpProxy({
      hosts: { "api.example.test": "127.0.0.1" },
      dir,
    });
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    try {
      const echo = (async () => {
        const s = await l.accept();
        const b = new Uint8Array(100);
        const n = await s.read(b);
        await s.write(b.subarray(0, n!));
        s.close();
      })();
      const c = await Deno.connect({
        hostname: proxy.address,
        port: proxy.port,
      });
      await c.write(
        new TextEncoder().encode(
          `CONNECT api.example.test:${port} HTTP/1.1\r\n\r\n`,
        ),
      );
      const b = new Uint8Array(1000);
      const n = await c.read(b);
      assert.match(text(b.subarray(0, n!)), /^HTTP\/1\.[01] 200 /);
      await c.write(new TextEncoder().encode("ping"));
      const m = await c.read(b);
      assert.equal(text(b.subarray(0, m!)), "ping");
      c.close();
      await echo;
    } finally {
      l.close();
      await proxy.close();
    }
    assert.match(
      await proxy.log(),
      new RegExp(`CONNECT api\\.example\\.test:${port} HTTP/1\\.1`),
    );
    await Deno.remove(dir, { recursive: true });
  },
});
