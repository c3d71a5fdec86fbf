/**
 * The question of a DNS query, from the first bytes of a datagram sent to port 53 (label bytes
 * that are not UTF-8 escaped as recording/byte_text.ts says); and, for a datagram sent to any
 * other UDP port, whether it is a whole DNS query by RFC 1035's format (with RFC 6891's OPT
 * record), parsed strictly, so that random bytes are never called DNS.
 */
import { bytesText } from "../recording/byte_text.ts";

const QTYPES: Record<number, string> = {
  1: "A",
  2: "NS",
  5: "CNAME",
  6: "SOA",
  12: "PTR",
  15: "MX",
  16: "TXT",
  28: "AAAA",
  33: "SRV",
  64: "SVCB",
  65: "HTTPS",
  255: "ANY",
};

export interface DnsQuestion {
  qname: string;
  qtype: string;
}

/** Parses the first question of a DNS message, or returns null if it is not one. */
export function parseDnsQuestion(msg: Uint8Array): DnsQuestion | null {
  if (msg.length < 12) return null;
  const flags = (msg[2] << 8) | msg[3];
  if (flags & 0x8000) return null; // a response, not a query
  const qdcount = (msg[4] << 8) | msg[5];
  if (qdcount < 1) return null;
  const labels: string[] = [];
  let o = 12;
  while (o < msg.length) {
    const len = msg[o];
    if (len === 0) {
      o++;
      break;
    }
    if (len & 0xc0) return null; // compression pointers do not occur in a question we send
    if (o + 1 + len > msg.length) return null;
    labels.push(bytesText(msg, o + 1, o + 1 + len));
    o += 1 + len;
  }
  if (o + 2 > msg.length) return null;
  const qtype = (msg[o] << 8) | msg[o + 1];
  return { qname: labels.join("."), qtype: QTYPES[qtype] ?? String(qtype) };
}

const u16 = (m: Uint8Array, o: number) => (m[o] << 8) | m[o + 1];

/** QCLASS values a question may carry (RFC 1035 3.2.4-5, RFC 6895), without mDNS's QU bit. */
const QCLASSES: ReadonlySet<number> = new Set([1, 3, 4, 254, 255]);

/**
 * The question of a datagram sent to a port other than 53, if it is exactly one standard DNS
 * query: QR 0, opcode 0, AA, TC, Z and RCODE 0; one question, no answer or authority record,
 * no more than one additional record, which must be EDNS's OPT (root name, type 41, version
 * 0, its options filling its data exactly); a name of labels of 1 to 63 bytes, none a control
 * character, 255 bytes at most, no compression; a QTYPE other than 0 and a known QCLASS; and
 * nothing after. Else null.
 */
export function parseDnsQueryStrict(msg: Uint8Array): DnsQuestion | null {
  if (msg.length < 17 || (msg[2] & 0xfe) || (msg[3] & 0x4f)) return null;
  if (u16(msg, 4) !== 1 || u16(msg, 6) || u16(msg, 8) || u16(msg, 10) > 1) return null;
  let o = 12;
  for (;;) {
    if (o >= msg.length) return null;
    const len = msg[o];
    if (len === 0) break;
    if (len > 63 || o + 1 + len - 12 > 254 || o + 1 + len > msg.length) return null;
    for (let i = o + 1; i <= o + len; i++) if (msg[i] < 0x20 || msg[i] === 0x7f) return null;
    o += 1 + len;
  }
  o++;
  if (o + 4 > msg.length || u16(msg, o) === 0 || !QCLASSES.has(u16(msg, o + 2) & 0x7fff)) {
    return null;
  }
  o += 4;
  if (u16(msg, 10) === 1) {
    // OPT: name 0, type 41, class = UDP size, TTL = ext-rcode, version (0), flags; rdlen
    if (o + 11 > msg.length || msg[o] !== 0 || u16(msg, o + 1) !== 41 || msg[o + 6] !== 0) {
      return null;
    }
    const end = o + 11 + u16(msg, o + 9);
    if (end !== msg.length) return null;
    for (o += 11; o < end;) {
      if (o + 4 > end) return null;
      o += 4 + u16(msg, o + 2);
    }
    if (o !== end) return null;
  }
  return o === msg.length ? parseDnsQuestion(msg) : null;
}

/**
 * The manifest's warning for datagrams to ports other than 53 that the kernel side passed on as
 * looking like a DNS question and the strict parse refused (a trailing byte, QTYPE 0, an
 * additional record that is not OPT, such as TSIG's): not recorded, so counted and said.
 */
export function dnsRefusedWarnings(n: number): string[] {
  return n
    ? [
      `dns: ${n} datagram${n === 1 ? "" : "s"} to UDP ports other than 53 looked like a DNS ` +
      "question to the kernel side but were not exactly one DNS query (a byte after the " +
      "question, QTYPE 0, an additional record other than OPT): not recorded",
    ]
    : [];
}
