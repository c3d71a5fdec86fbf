/**
 * DNS questions: the strict reading of a datagram sent to a port other than 53 takes whole
 * queries as resolvers send them (with and without EDNS's OPT record) and nothing else: not a
 * response, a cut or padded one, a TSIG-signed one, the datagrams of the protocols that share
 * UDP with DNS (QUIC, STUN, WireGuard, NTP, mDNS responses: hand-built from their
 * specifications, tests/support/dns_datagrams.ts), nor any of many random datagrams.
 */
import assert from "node:assert/strict";
import { parseDnsQueryStrict } from "./dns.ts";
import {
  COOKIE,
  opt,
  otherProtocols,
  query,
  refusedQueries,
} from "../tests/support/dns_datagrams.ts";

Deno.test("a whole query, with or without OPT, is read strictly", () => {
  assert.deepEqual(parseDnsQueryStrict(query("api.example.com", 1)), {
    qname: "api.example.com",
    qtype: "A",
  });
  assert.deepEqual(parseDnsQueryStrict(query("api.example.com", 28, opt())), {
    qname: "api.example.com",
    qtype: "AAAA",
  });
  assert.deepEqual(parseDnsQueryStrict(query("x.local", 1, opt(COOKIE)))?.qname, "x.local");
});

Deno.test("anything but exactly one query is not DNS", () => {
  const q = query("api.example.com", 1, opt(COOKIE));
  for (let n = 0; n < q.length; n++) {
    assert.equal(parseDnsQueryStrict(q.subarray(0, n)), null, `cut at ${n}`);
  }
  assert.equal(parseDnsQueryStrict(new Uint8Array([...q, 0])), null, "a byte more");
  const bad = (what: string, edit: (m: Uint8Array) => void, base = q) => {
    const m = base.slice();
    edit(m);
    assert.equal(parseDnsQueryStrict(m), null, what);
  };
  bad("a response", (m) => m[2] |= 0x80);
  bad("opcode 2", (m) => m[2] |= 0x10);
  bad("an RCODE", (m) => m[3] |= 1);
  bad("two questions", (m) => m[5] = 2);
  bad("an answer record", (m) => m[7] = 1);
  bad("a compression pointer", (m) => m[12] = 0xc0);
  bad("a control character in a label", (m) => m[14] = 0x01);
  bad("QTYPE 0", (m) => m[12 + 18] = 0, query("api.example.com", 1));
  bad("QCLASS 9", (m) => m[12 + 20] = 9, query("api.example.com", 1));
  const o = 12 + 17 + 4; // the OPT record
  bad("an additional record that is not OPT", (m) => m[o + 2] = 1);
  bad("OPT's length past the end", (m) => m[o + 10] += 1);
  bad("an option past OPT's end", (m) => m[o + 14] = 9);
  bad("EDNS version 1", (m) => m[o + 6] = 1);
  bad("two labels too long", (m) => m[12] = 64, query("a".repeat(64) + ".b", 1));
});

Deno.test("near misses and other protocols' datagrams are not DNS", () => {
  for (const [what, m] of Object.entries({ ...refusedQueries(), ...otherProtocols() })) {
    assert.equal(parseDnsQueryStrict(m), null, what);
  }
  // the same query, exactly: read (so the near misses fail by their one difference)
  assert.equal(parseDnsQueryStrict(query("near.sightline.test"))?.qname, "near.sightline.test");
});

Deno.test("random datagrams are never DNS", () => {
  // a fixed seed (xorshift): the same 200 000 datagrams each run, 0 to 512 bytes
  let x = 0x9e3779b9;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  let found = 0;
  for (let i = 0; i < 200_000; i++) {
    const m = new Uint8Array(next() % 513);
    for (let j = 0; j < m.length; j++) m[j] = next() & 0xff;
    if (parseDnsQueryStrict(m)) found++;
  }
  assert.equal(found, 0);
});
