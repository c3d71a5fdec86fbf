/**
 * The question of a DNS query, from the first bytes of a datagram sent to port 53 (label bytes
 * that are not UTF-8 escaped as recording/byte_text.ts says); and, for a datagram sent to any
 * other UDP port, whether it is a whole DNS query by RFC 1035's format (with RFC 6891's OPT
 * record), parsed strictly, so that random bytes are never called DNS; and the answer a response
 * read back carries (its id, rcode and A, AAAA and CNAME records).
 */
import { bytesText } from "../recording/byte_text.ts";
import { formatIpv6 } from "./sockaddr.ts";

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
export function dnsRefusedWarnings(n: number, answers = 0): string[] {
  return [
    ...(n
      ? [
        `dns: ${n} datagram${n === 1 ? "" : "s"} to UDP ports other than 53 looked like a DNS ` +
        "question to the kernel side but were not exactly one DNS query (a byte after the " +
        "question, QTYPE 0, an additional record other than OPT): not recorded",
      ]
      : []),
    ...(answers
      ? [
        `dns: ${answers} message${answers === 1 ? "" : "s"} read back with the id of a ` +
        "question sent on the socket had a response's header but not a response's body (a " +
        "compressed question, a record running past the message's end): not recorded as " +
        "answers",
      ]
      : []),
  ];
}

const RCODES: Record<number, string> = {
  0: "NOERROR",
  1: "FORMERR",
  2: "SERVFAIL",
  3: "NXDOMAIN",
  4: "NOTIMP",
  5: "REFUSED",
};

/** A DNS answer: its id, rcode, question, and the A, AAAA and CNAME records it carries. */
export interface DnsAnswer extends DnsQuestion {
  id: number;
  rcode: string;
  /** `A 192.0.2.1`, `AAAA 2001:db8::1`, `CNAME edge.example.net`, in the message's order */
  records: string[];
  /** the message went on past the bytes kept (SL_DNS_ANSWER_MAX): its later records unread */
  cut: boolean;
}

/**
 * A name at `o` of a response, following compression pointers (RFC 1035 4.1.4) backwards only
 * (a pointer to itself or forward is a loop or garbage); its end, or null if malformed.
 */
function readName(m: Uint8Array, o: number): { name: string; end: number } | null {
  const labels: string[] = [];
  let end = -1, at = o, total = 0;
  for (let hops = 0; hops < 128; hops++) {
    if (at >= m.length) return null;
    const len = m[at];
    if (len === 0) {
      return { name: labels.join("."), end: end < 0 ? at + 1 : end };
    }
    if ((len & 0xc0) === 0xc0) {
      if (at + 2 > m.length) return null;
      const to = ((len & 0x3f) << 8) | m[at + 1];
      if (to >= at || to < 12) return null;
      if (end < 0) end = at + 2;
      at = to;
      continue;
    }
    if (len & 0xc0 || at + 1 + len > m.length) return null;
    total += len + 1;
    if (total > 255) return null;
    labels.push(bytesText(m, at + 1, at + 1 + len));
    at += 1 + len;
  }
  return null;
}

/**
 * The answer a DNS response carries (RFC 1035 4.1), parsed strictly: QR 1, opcode 0, one
 * question whose name has no compression; then its answer records, each a name, type, class,
 * TTL and data of the length it says (an A's 4 bytes, an AAAA's 16, a CNAME's one name).
 * Records of other types are skipped. `mayBeCut`: the bytes may stop short of the message (as
 * many as the kernel side keeps): a record they end inside ends the list (`cut`). Null if it is
 * not such a response (a record that runs past the message's end when it is whole).
 */
export function parseDnsAnswer(msg: Uint8Array, mayBeCut: boolean): DnsAnswer | null {
  if (msg.length < 17 || !(msg[2] & 0x80) || (msg[2] & 0x78) || u16(msg, 4) !== 1) return null;
  const q = parseDnsQuestion(Uint8Array.of(...msg.subarray(0, 2), 0, 0, ...msg.subarray(4)));
  if (!q) return null;
  let o = 12;
  while (msg[o] !== 0) o += 1 + msg[o];
  o += 5; // the root label, QTYPE and QCLASS
  if (o > msg.length) return null;
  const records: string[] = [];
  const ancount = u16(msg, 6);
  let cut = false;
  for (let i = 0; i < ancount; i++) {
    const name = readName(msg, o);
    const data = name ? name.end + 10 : 0;
    if (!name || data > msg.length || data + u16(msg, name.end + 8) > msg.length) {
      if (!mayBeCut) return null;
      cut = true;
      break;
    }
    const type = u16(msg, name.end), rdlen = u16(msg, name.end + 8);
    if (type === 1) {
      if (rdlen !== 4) return null;
      records.push(`A ${msg.subarray(data, data + 4).join(".")}`);
    } else if (type === 28) {
      if (rdlen !== 16) return null;
      records.push(`AAAA ${formatIpv6(msg.subarray(data, data + 16))}`);
    } else if (type === 5) {
      const target = readName(msg, data);
      if (!target || target.end !== data + rdlen) return null;
      records.push(`CNAME ${target.name}`);
    }
    o = data + rdlen;
  }
  return {
    ...q,
    id: u16(msg, 0),
    rcode: RCODES[msg[3] & 0x0f] ?? String(msg[3] & 0x0f),
    records,
    cut,
  };
}
