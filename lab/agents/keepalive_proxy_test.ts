/**
 * The keep-alive forward proxy with real curl: two hosts asked in absolute form on one client
 * connection (curl reuses it only when the proxy keeps it open), each answered by its own
 * origin; `-p` makes a CONNECT tunnel per host; an origin-form request is refused (400).
 */
import assert from "node:assert/strict";
import { startKeepAliveProxy } from "./keepalive_proxy.ts";

async function curl(args: string[]): Promise<string> {
  const out = await new Deno.Command("curl", { args: ["-s", "-m", "5", ...args] }).output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test("keep-alive proxy: two hosts on one connection, tunnels, origin form refused", async () => {
  const origin = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (r) => new Response(`${r.headers.get("host")} ${new URL(r.url).pathname}\n`),
  );
  const port = origin.addr.port;
  const proxy = await startKeepAliveProxy({ "a.test": "127.0.0.1", "b.test": "127.0.0.1" });
  try {
    const urls = [`http://a.test:${port}/x`, `http://b.test:${port}/y`];
    assert.equal(
      await curl(["-x", proxy.url, ...urls]),
      `a.test:${port} /x\nb.test:${port} /y\n`,
    );
    assert.equal(proxy.connections(), 1, "curl reused the proxy's connection");
    assert.equal(
      await curl(["-p", "-x", proxy.url, ...urls]),
      `a.test:${port} /x\nb.test:${port} /y\n`,
    );
    assert.equal(proxy.connections(), 3);
    assert.deepEqual(proxy.log, [
      `GET ${urls[0]}`,
      `GET ${urls[1]}`,
      `CONNECT a.test:${port}`,
      `CONNECT b.test:${port}`,
    ]);
    assert.equal(
      await curl(["-o", "/dev/null", "-w", "%{http_code}", `${proxy.url}/x`]),
      "400",
    );
  } finally {
    await proxy.close();
    await origin.shutdown();
  }
});
