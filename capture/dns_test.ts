/**
 * DNS questions: the strict reading of a datagram sent to a port other than 53 takes whole
 * queries as resolvers send them (with and without EDNS's OPT record) and nothing else: not a
 * response, a cut or padded one, a TSIG-signed one, the datagrams of the protocols that share
 * UDP with DNS (QUIC, STUN, WireGuard, NTP, mDNS responses: hand-built from their
 * specifications, tests/support/dns_datagrams.ts), nor any of many random datagrams.
 */
import assert from "node:assert/strict";
import { parseDnsAnswer, parseDnsQueryStrict } from "./dns.ts";
import {
  COOKIE,
  opt,
  otherProtocols,
  query,
  refusedQueries,
  response,
  type Rr,
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

const V6 = [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1];
const CHAIN: Rr[] = [
  { type: "CNAME", name: "edge.cdn.sightline.test" },
  { type: "A", ip: [192, 0, 2, 7] },
  { type: "AAAA", ip: V6 },
];

Deno.test("an answer: its question, rcode and A, AAAA and CNAME records through compression", () => {
  assert.deepEqual(parseDnsAnswer(response("api.sightline.test", 1, CHAIN), false), {
    qname: "api.sightline.test",
    qtype: "A",
    id: 0xbeef,
    rcode: "NOERROR",
    records: ["CNAME edge.cdn.sightline.test", "A 192.0.2.7", "AAAA 2001:db8::1"],
    cut: false,
  });
  const nx = parseDnsAnswer(response("gone.sightline.test", 28, [], 3), false);
  assert.deepEqual([nx?.rcode, nx?.records, nx?.qtype], ["NXDOMAIN", [], "AAAA"]);
});

Deno.test("an answer cut at every byte: whole records or nothing, never a wrong one", () => {
  const whole = response("api.sightline.test", 1, CHAIN);
  const full = parseDnsAnswer(whole, false)!.records;
  for (let n = 0; n < whole.length; n++) {
    const part = whole.subarray(0, n);
    assert.equal(parseDnsAnswer(part, false), null, `${n} bytes, said to be whole`);
    const cut = parseDnsAnswer(part, true);
    if (!cut) continue; // the header or the question not all there
    assert.ok(cut.cut, `${n} bytes: said to be cut`);
    assert.deepEqual(cut.records, full.slice(0, cut.records.length), `${n} bytes`);
  }
});

Deno.test("not an answer: a query, a pointer forward or to itself, a bad A length", () => {
  assert.equal(parseDnsAnswer(query("api.sightline.test"), false), null);
  const r = response("api.sightline.test", 1, [{ type: "A", ip: [192, 0, 2, 7] }]);
  const at = 12 + 20 + 4; // the record's owner pointer, after the question
  const loop = r.slice();
  loop.set([0xc0, at], at);
  assert.equal(parseDnsAnswer(loop, false), null, "a pointer to itself");
  const forward = r.slice();
  forward.set([0xc0, at + 2], at);
  assert.equal(parseDnsAnswer(forward, false), null, "a pointer forward");
  const short = response("api.sightline.test", 1, [{ type: "A", ip: [192, 0, 2] }]);
  assert.equal(parseDnsAnswer(short, false), null, "an A of 3 bytes");
});
