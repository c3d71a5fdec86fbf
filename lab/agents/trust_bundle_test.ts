import assert from "node:assert/strict";
import { join } from "node:path";
import { SYSTEM_ROOT_FILES, systemRootsFile, writeTrustBundle } from "./trust_bundle.ts";
import { ensureCertificates } from "../simulator/tls_ca.ts";
import { openssl } from "../../kit/openssl.ts";

Deno.test("the bundle is the scripted server's CA then the machine's roots", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-trust-" });
  try {
    const certs = await ensureCertificates({ caDir: join(dir, "ca") });
    const roots = systemRootsFile({});
    assert.ok(
      roots,
      `this machine has a system bundle (${SYSTEM_ROOT_FILES.join(", ")})`,
    );
    const path = await writeTrustBundle(dir, certs.caCertPath, roots);
    const text = await Deno.readTextFile(path);
    const rootsText = await Deno.readTextFile(roots);
    // the CA first: Node stops reading NODE_EXTRA_CA_CERTS at the first block it cannot parse
    assert.ok(text.startsWith(certs.caCertPem.trim()), "starts with the CA");
    assert.ok(text.endsWith(rootsText), "ends with every system root");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o644);
    // a TLS stack given only this file trusts the scripted server's leaf certificate
    await openssl(["verify", "-CAfile", path, certs.leaf.certPath], dir);
    // ... and still the public roots it trusted before (one of the system ones, verified against
    // the bundle alone)
    const firstRoot = rootsText.slice(
      0,
      rootsText.indexOf("-----END CERTIFICATE-----") + 25,
    );
    const rootFile = join(dir, "root.pem");
    await Deno.writeTextFile(rootFile, firstRoot + "\n");
    await openssl(["verify", "-CAfile", path, rootFile], dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the runner's own SSL_CERT_FILE is the roots when set and readable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-trust-" });
  try {
    const own = join(dir, "company.pem");
    await Deno.writeTextFile(own, "company roots\n");
    assert.equal(systemRootsFile({ SSL_CERT_FILE: own }, []), own);
    assert.equal(
      systemRootsFile({ SSL_CERT_FILE: join(dir, "gone.pem") }, [own]),
      own,
    );
    assert.equal(systemRootsFile({}, [join(dir, "gone.pem")]), undefined);
    const ca = join(dir, "ca.pem");
    await Deno.writeTextFile(ca, "CA");
    assert.equal(
      await Deno.readTextFile(await writeTrustBundle(dir, ca, own)),
      "CA\ncompany roots\n",
    );
    // no roots anywhere: the CA alone, as before
    assert.equal(
      await Deno.readTextFile(await writeTrustBundle(dir, ca, null)),
      "CA",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
