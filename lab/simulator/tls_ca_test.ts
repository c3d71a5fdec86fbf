/** Tests for the local CA: made once, cached with private keys 0600, re-made when missing. */

import assert from "node:assert/strict";
import { ensureCertificates } from "./tls_ca.ts";
import { newCa } from "../../kit/openssl.ts";

async function openssl(args: string[]): Promise<string> {
  const out = await new Deno.Command("openssl", {
    args,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
}

Deno.test("CA and leaf: cached, 0600 keys, leaf verifies and covers the names", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = await ensureCertificates({
      caDir: dir,
      extraNames: ["docs.example.test"],
    });
    assert.equal((await Deno.stat(`${dir}/ca.key`)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(a.leaf.keyPath)).mode! & 0o777, 0o600);
    assert.match(
      await openssl(["verify", "-CAfile", a.caCertPath, a.leaf.certPath]),
      /: OK/,
    );
    const text = await openssl([
      "x509",
      "-in",
      a.leaf.certPath,
      "-noout",
      "-text",
    ]);
    for (
      const name of [
        "DNS:localhost",
        "IP Address:127.0.0.1",
        "IP Address:127.0.0.2",
        "IP Address:0:0:0:0:0:0:0:1",
        "DNS:docs.example.test",
      ]
    ) {
      assert.ok(text.includes(name), `leaf lacks ${name}`);
    }
    assert.match(text, /CA:FALSE/);
    assert.match(text, /TLS Web Server Authentication/);
    const caText = await openssl([
      "x509",
      "-in",
      a.caCertPath,
      "-noout",
      "-text",
    ]);
    assert.match(caText, /CA:TRUE/);

    // Second call: the same files, nothing new.
    const b = await ensureCertificates({
      caDir: dir,
      extraNames: ["docs.example.test"],
    });
    assert.equal(b.caCertPem, a.caCertPem);
    assert.equal(b.leaf.certPem, a.leaf.certPem);

    // A missing CA key means a new CA, and a new leaf signed by it.
    await Deno.remove(`${dir}/ca.key`);
    const c = await ensureCertificates({
      caDir: dir,
      extraNames: ["docs.example.test"],
    });
    assert.notEqual(c.caCertPem, a.caCertPem);
    assert.notEqual(c.leaf.certPath, a.leaf.certPath);
    assert.match(
      await openssl(["verify", "-CAfile", c.caCertPath, c.leaf.certPath]),
      /: OK/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an expired CA is made again", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await newCa(dir, { base: "ca", subject: "/CN=old", days: 1 });
    const old = await Deno.readTextFile(`${dir}/ca.pem`);
    const fresh = await ensureCertificates({ caDir: dir });
    assert.notEqual(
      fresh.caCertPem,
      old,
      "a CA expiring within two days is replaced",
    );
    assert.match(
      await openssl([
        "verify",
        "-CAfile",
        fresh.caCertPath,
        fresh.leaf.certPath,
      ]),
      /: OK/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("names are checked before they reach openssl", async () => {
  await assert.rejects(
    ensureCertificates({
      caDir: "/nonexistent-never",
      extraNames: ["bad name/../x"],
    }),
    /invalid certificate name/,
  );
});
