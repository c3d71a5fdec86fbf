/**
 * The question of a DNS query, from the first bytes of a datagram sent to port 53 (label bytes
 * that are not UTF-8 escaped as recording/byte_text.ts says).
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
