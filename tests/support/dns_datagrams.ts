/**
 * Datagrams for the tests of DNS on ports other than 53, hand-built from their specifications
 * (not captured from the wire): DNS queries as a stub resolver sends them (RFC 1035, with
 * RFC 6891's OPT record), queries one detail away from that (the strict parse refuses them,
 * though the kernel side's first look passes them on), and the other protocols' datagrams that
 * go to UDP ports a program uses beside DNS (QUIC, STUN, WireGuard, NTP, an mDNS response):
 * none of them may be taken for a DNS question; and responses as a server builds them.
 */

const enc = new TextEncoder();

const u16 = (n: number) => [n >> 8 & 0xff, n & 0xff];

/** A name as DNS labels, ending with the root's empty label. */
function labels(name: string): number[] {
  return [...name.split(".").flatMap((l) => [l.length, ...enc.encode(l)]), 0];
}

/** OPT (RFC 6891): root name, type 41, UDP size 1232, extended RCODE and version 0, options. */
export function opt(options: number[] = []): Uint8Array {
  return new Uint8Array([
    0,
    ...u16(41),
    ...u16(1232),
    0,
    0,
    0,
    0,
    ...u16(options.length),
    ...options,
  ]);
}

/** A DNS COOKIE option (RFC 7873): code 10, a client cookie of 8 bytes. */
export const COOKIE = [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8];

/** A query as glibc's res_mkquery builds it (id 0xbeef, RD), with an OPT record if given. */
export function query(name: string, qtype = 1, extra?: Uint8Array): Uint8Array {
  return new Uint8Array([
    0xbe,
    0xef,
    0x01,
    0x00,
    ...u16(1),
    ...u16(0),
    ...u16(0),
    ...u16(extra ? 1 : 0),
    ...labels(name),
    ...u16(qtype),
    ...u16(1),
    ...(extra ?? []),
  ]);
}

/** An answer record (RFC 1035 4.1.3): A `a.b.c.d`, AAAA (16 bytes given), CNAME `name`. */
export type Rr = { type: "A"; ip: number[] } | { type: "AAAA"; ip: number[] } | {
  type: "CNAME";
  name: string;
};

/**
 * A response as a server builds it (RFC 1035 4.1, 4.1.4): id 0xbeef, QR, RD and RA, the
 * question again, then each record; the first record's owner is the question's name by a
 * compression pointer (0xc00c), each later one's the previous CNAME's target when there is
 * one (a pointer to where that target was written), and a CNAME's target is written whole.
 */
export function response(name: string, qtype: number, rrs: Rr[], rcode = 0): Uint8Array {
  const out = [0xbe, 0xef, 0x81, 0x80 | rcode, ...u16(1), ...u16(rrs.length), 0, 0, 0, 0];
  out.push(...labels(name), ...u16(qtype), ...u16(1));
  let owner = 12;
  for (const rr of rrs) {
    out.push(0xc0 | owner >> 8, owner & 0xff);
    const type = rr.type === "A" ? 1 : rr.type === "AAAA" ? 28 : 5;
    const data = rr.type === "CNAME" ? labels(rr.name) : rr.ip;
    out.push(...u16(type), ...u16(1), 0, 0, 0x0e, 0x10, ...u16(data.length));
    if (rr.type === "CNAME") owner = out.length;
    out.push(...data);
  }
  return new Uint8Array(out);
}

/** Bytes 0, 1, 2, ... (mod 251): the part of a datagram that is random or encrypted. */
function filler(n: number, seed = 7): number[] {
  return Array.from({ length: n }, (_, i) => (seed + i * 37) % 251);
}

/**
 * Queries the kernel side passes on (standard query header, one question, at most one
 * additional record) that are not exactly one DNS query: the strict parse refuses each.
 */
export function refusedQueries(): Record<string, Uint8Array> {
  const q = query("near.sightline.test");
  // TSIG (RFC 8945) as the one additional record: name, type 250, class ANY, TTL 0, rdata
  const tsig = [...labels("key.sightline.test"), ...u16(250), ...u16(255), 0, 0, 0, 0];
  const tsigData = [...labels("hmac-sha256"), 0, 0, 0x5f, 0x5e, 0x10, 0, ...u16(300), ...u16(0)];
  return {
    "a byte after the question": new Uint8Array([...q, 0]),
    "QTYPE 0": query("near.sightline.test", 0),
    "a TSIG record in place of OPT": new Uint8Array([
      ...q.slice(0, 11),
      1,
      ...q.slice(12),
      ...tsig,
      ...u16(tsigData.length),
      ...tsigData,
    ]),
  };
}

/** Datagrams of other protocols, each as its specification lays it out. */
export function otherProtocols(): Record<string, Uint8Array> {
  // QUIC v1 Initial (RFC 9000 17.2.2): long header, type Initial, 4-byte packet number;
  // version 1; DCID of 8 bytes, no SCID, no token, a length of 1182; the protected rest
  // (packet number and payload), padded to 1200 bytes as a client's must be
  const quic = [0xc3, 0, 0, 0, 1, 8, ...filler(8, 1), 0, 0, 0x44, 0x9e];
  // STUN Binding Request (RFC 8489 5): type 0x0001, length 0, magic cookie, transaction id
  const stun = [0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, ...filler(12, 2)];
  // WireGuard handshake initiation (its whitepaper 5.4.2): type 1, three reserved zeros, the
  // sender index (chosen here as bytes 0 1 0 0, as a DNS header's QDCOUNT 1 after an id),
  // ephemeral key 32, encrypted static 48, encrypted timestamp 28, mac1 16, mac2 16 (zeros)
  const wg = [1, 0, 0, 0, 0, 1, 0, 0, ...filler(32 + 48 + 28 + 16, 3), ...new Array(16).fill(0)];
  // NTP client request (RFC 5905 7.3; SNTP, RFC 4330): LI 0, VN 3, mode 3, all else 0 but
  // the transmit timestamp
  const ntp = [0x1b, ...new Array(39).fill(0), ...filler(8, 4)];
  // mDNS response (RFC 6762 18): id 0, QR and AA, no question, one answer: host.local A,
  // cache-flush class, TTL 120, 192.0.2.7
  const mdns = [
    ...[0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0],
    ...labels("host.local"),
    ...u16(1),
    ...u16(0x8001),
    0,
    0,
    0,
    120,
    ...u16(4),
    192,
    0,
    2,
    7,
  ];
  return {
    "a QUIC Initial": new Uint8Array([...quic, ...filler(1200 - quic.length, 5)]),
    "a STUN Binding Request": new Uint8Array(stun),
    "a WireGuard handshake initiation": new Uint8Array(wg),
    "an NTP client request": new Uint8Array(ntp),
    "an mDNS response": new Uint8Array(mdns),
  };
}
