/**
 * Throw-away certificates: a client that trusts only the CA connects to a server using the
 * certificate by 127.0.0.1 and by localhost, for both key types; a failing openssl command is
 * one error naming the subcommand.
 */
import assert from "node:assert/strict";
import { openssl, throwawayCerts } from "./openssl.ts";

for (const key of ["ec", "rsa"] as const) {
  Deno.test(`openssl: a ${key} CA and server certificate are trusted for 127.0.0.1 and localhost`, async () => {
    const c = await throwawayCerts({
      prefix: "sl-kit-certs-",
      key,
      caName: "kit test CA",
      serverName: "localhost",
      days: 1,
      base: "server",
    });
    const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: c.cert, key: c.key });
    const served = (async () => {
      for (let i = 0; i < 2; i++) {
        const conn = await listener.accept();
        await conn.write(new TextEncoder().encode("hi"));
        conn.close();
      }
    })();
    try {
      const caCerts = [await Deno.readTextFile(c.caPath)];
      for (const hostname of ["127.0.0.1", "localhost"]) {
        const conn = await Deno.connectTls({ hostname, port: listener.addr.port, caCerts });
        const buf = new Uint8Array(2);
        assert.equal(await conn.read(buf), 2, hostname);
        conn.close();
      }
      await served;
    } finally {
      listener.close();
      await Deno.remove(c.dir, { recursive: true });
    }
  });
}

Deno.test("openssl: a failing command is one error naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      () => openssl(["x509", "-in", "missing.pem", "-noout"], dir),
      /^Error: openssl x509 failed: /,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
