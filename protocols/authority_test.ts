/** The one reader of an authority's host and port, on the edge inputs each caller meets. */
import assert from "node:assert/strict";
import { DEFAULT_PORT, hostPort } from "./authority.ts";

Deno.test("hostPort: host lower case, the port named or the caller's default", () => {
  assert.deepEqual(hostPort("Evil.TEST:80", null), { host: "evil.test", port: 80 });
  assert.deepEqual(hostPort("API.Anthropic.com", 443), { host: "api.anthropic.com", port: 443 });
  assert.deepEqual(hostPort("evil.test", 80), { host: "evil.test", port: 80 });
  assert.deepEqual(hostPort("evil.test", null), { host: "evil.test", port: null });
  // an empty port is no port (RFC 3986 3.2.3)
  assert.deepEqual(hostPort("evil.test:", 443), { host: "evil.test", port: 443 });
  assert.deepEqual(hostPort("h:0080", 443), { host: "h", port: 80 });
  assert.deepEqual(hostPort("h:65535", 443), { host: "h", port: 65535 });
  assert.deepEqual(hostPort(" h:8443 ", 443), { host: "h", port: 8443 });
});

Deno.test("hostPort: IPv6 and IPvFuture literals without their brackets", () => {
  assert.deepEqual(hostPort("[::1]:8080", null), { host: "::1", port: 8080 });
  assert.deepEqual(hostPort("[FD00::5]", 443), { host: "fd00::5", port: 443 });
  assert.deepEqual(hostPort("[fe80::1%25eth0]:80", null), { host: "fe80::1%25eth0", port: 80 });
  assert.deepEqual(hostPort("[v1.Fe]:80", null), { host: "v1.fe", port: 80 });
  assert.deepEqual(hostPort("127.0.0.1:11434", 80), { host: "127.0.0.1", port: 11434 });
  // an IPv6 address must be bracketed: bare, its colons are no port
  assert.equal(hostPort("::1", 443), null);
  assert.equal(hostPort("fd00::5:8000", 443), null);
  assert.equal(hostPort("[::1", 443), null);
  assert.equal(hostPort("[]:80", 443), null);
});

Deno.test("hostPort: userinfo dropped (the host after the last @ is where it goes)", () => {
  assert.deepEqual(hostPort("user:pw@h.test:8080", 80), { host: "h.test", port: 8080 });
  assert.deepEqual(hostPort("allowed.test@evil.test", 80), { host: "evil.test", port: 80 });
  assert.deepEqual(hostPort("a@b@[::1]", 80), { host: "::1", port: 80 });
  assert.equal(hostPort("user@", 80), null);
});

Deno.test("hostPort: a fully qualified name's trailing dot dropped, once", () => {
  assert.deepEqual(hostPort("allowed.test.", 80), { host: "allowed.test", port: 80 });
  assert.deepEqual(hostPort("Allowed.Test.:8080", 80), { host: "allowed.test", port: 8080 });
  assert.equal(hostPort(".:80", null), null);
  assert.equal(hostPort(".", 80), null);
});

Deno.test("hostPort: no host, a bad port or a character no host holds is null", () => {
  for (
    const a of [
      "",
      " ",
      ":80",
      "a.test:99999",
      "a.test:65536",
      "a.test:x",
      "a.test:-1",
      "a.test:+80",
      "a.test:80:90",
      "a test:80",
      "a/b:80",
      "a?b",
      "a#b",
      "a\u0000b",
      "a%zz.test",
    ]
  ) {
    assert.equal(hostPort(a, 443), null, JSON.stringify(a));
  }
  // non-ASCII is an IRI's ihost (RFC 3987), kept; a percent-encoded octet too
  assert.deepEqual(hostPort("bücher.test", 443), { host: "bücher.test", port: 443 });
  assert.deepEqual(hostPort("a%2Db.test", 443), { host: "a%2db.test", port: 443 });
});

Deno.test("DEFAULT_PORT: the schemes' registered ports", () => {
  assert.deepEqual(DEFAULT_PORT, { http: 80, https: 443, ws: 80, wss: 443, ftp: 21 });
});

Deno.test("hostPort: only SP and HTAB trimmed (RFC 9110 OWS); ASCII letters lower-cased", () => {
  assert.deepEqual(hostPort("\tEvil.Test:8080\t", 80), { host: "evil.test", port: 8080 });
  // another control character is not white space here: a host holds none
  assert.equal(hostPort("\vevil.test", 80), null);
  assert.equal(hostPort("evil.test\r\n", 80), null);
  // non-ASCII is an IRI's ihost character (RFC 3987 ucschar), kept as written
  assert.deepEqual(hostPort("evil.test\u00a0", 80), { host: "evil.test\u00a0", port: 80 });
  assert.deepEqual(hostPort("evil.test\u2028", 80), { host: "evil.test\u2028", port: 80 });
  // A-Z only: U+0130 is not an I (nor does IDNA map it to one), so no evil.test
  assert.deepEqual(hostPort("EVİL.test", 80), { host: "evİl.test", port: 80 });
  // an IP literal holds no space of any kind
  assert.equal(hostPort("[::1\u00a0]:80", 80), null);
});

Deno.test("hostPort: every shared edge input (testdata/authority_edges.json) is read or refused whole", () => {
  const { inputs } = JSON.parse(
    Deno.readTextFileSync(new URL("./testdata/authority_edges.json", import.meta.url)),
  ) as { inputs: string[] };
  assert.ok(inputs.length >= 40);
  for (const a of inputs) {
    const got = hostPort(a, 443);
    if (got === null) continue;
    // a host read is in ASCII lower case, unbracketed, without a trailing dot or userinfo
    assert.ok(!/[A-Z]/.test(got.host), `${a}: ${got.host}`);
    assert.ok(!/^\[|\]$|\.$|@/.test(got.host), `${a}: ${got.host}`);
    assert.ok(got.port !== null && got.port >= 0 && got.port <= 65535, a);
  }
});
