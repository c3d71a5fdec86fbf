/** Tests for the loopback web page servers scenarios declare. */

import assert from "node:assert/strict";
import { ensureCertificates } from "./tls_ca.ts";
import { hostsFile, pageVars, startPage } from "./web_pages.ts";

Deno.test("a plain HTTP page on 127.0.0.2 serves its routes and records requests", async () => {
  const page = await startPage({
    name: "attacker",
    address: "127.0.0.2",
    host: "collector.attacker.test",
    routes: [
      { path: "/", body: "<h1>hi</h1>", contentType: "text/html" },
      { path: "/upload", method: "POST", body: "ok\n", status: 201 },
    ],
  });
  try {
    assert.equal(page.url, `http://collector.attacker.test:${page.port}`);
    const home = await fetch(`${page.addressUrl}/`);
    assert.equal(home.headers.get("content-type"), "text/html");
    assert.equal(await home.text(), "<h1>hi</h1>");
    const up = await fetch(`${page.addressUrl}/upload`, {
      method: "POST",
      body: "TOKEN=1",
      headers: { cookie: "c=1" },
    });
    assert.equal(up.status, 201);
    await up.body?.cancel();
    const nf = await fetch(`${page.addressUrl}/upload`);
    assert.equal(nf.status, 404, "GET does not match the POST route");
    await nf.body?.cancel();
    assert.deepEqual(
      page.requests.map((r) => [r.method, r.path, r.status, r.body]),
      [
        ["GET", "/", 200, ""],
        ["POST", "/upload", 201, "TOKEN=1"],
        ["GET", "/upload", 404, ""],
      ],
    );
    assert.equal(page.requests[1].headers.cookie, "[redacted]");
    assert.equal(pageVars([page])["pages.attacker.url"], page.url);
  } finally {
    await page.close();
  }
});

Deno.test("an HTTPS page uses the model server's CA", async () => {
  const certs = await ensureCertificates();
  const page = await startPage({
    name: "docs",
    address: "127.0.0.4",
    tls: true,
    routes: [{ path: "/x", body: "secure" }],
  }, certs);
  const client = Deno.createHttpClient({ caCerts: [certs.caCertPem] });
  try {
    const r = await fetch(`${page.url}/x`, { client });
    assert.equal(await r.text(), "secure");
    assert.match(page.url, /^https:\/\/127\.0\.0\.4:\d+$/);
  } finally {
    client.close();
    await page.close();
  }
});

Deno.test("hostsFile keeps the base and maps page hosts", () => {
  assert.equal(
    hostsFile(
      [{ host: "docs.example.test", address: "127.0.0.2" }, {
        address: "127.0.0.3",
      }],
      "127.0.0.1 localhost\n",
    ),
    "127.0.0.1 localhost\n# added by the Sightline agent runner for one scenario run\n127.0.0.2\tdocs.example.test\n",
  );
});
