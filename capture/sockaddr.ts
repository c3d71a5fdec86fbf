/**
 * Socket addresses as the kernel side reports them (family number, port, raw bytes) turned
 * into the strings a user reads: "inet"/"inet6"/"unix", "127.0.0.1", "::1", "/run/x.sock"
 * (a unix path's bytes that are not UTF-8 escaped as recording/byte_text.ts says).
 */
import { bytesText } from "../recording/byte_text.ts";

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;

export function familyName(family: number): string {
  switch (family) {
    case AF_UNIX:
      return "unix";
    case AF_INET:
      return "inet";
    case AF_INET6:
      return "inet6";
    default:
      return String(family);
  }
}

export function formatAddr(family: number, addr: Uint8Array): string {
  if (family === AF_INET) return [...addr.subarray(0, 4)].join(".");
  if (family === AF_INET6) return formatIpv6(addr.subarray(0, 16));
  if (family === AF_UNIX) {
    // abstract sockets start with NUL; show them as @name like ss(8)
    const abstract = addr[0] === 0;
    const body = abstract ? addr.subarray(1) : addr;
    let end = body.indexOf(0);
    if (end < 0) end = body.length;
    return (abstract ? "@" : "") + bytesText(body, 0, end);
  }
  return "";
}

export function formatIpv6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i] << 8) | b[i + 1]);
  // IPv4-mapped ::ffff:a.b.c.d
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  // the longest run of zero groups (length >= 2) becomes ::
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return hex.slice(0, best).join(":") + "::" + hex.slice(best + bestLen).join(":");
}

/**
 * An IP address as the kernel side's records carry it (16 bytes, IPv6; IPv4 as
 * ::ffff:a.b.c.d): an IPv4 one as `a.b.c.d`, whether its socket was IPv4 or dual-stack IPv6.
 */
export function ipText(b: Uint8Array): string {
  const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  return mapped ? `${b[12]}.${b[13]}.${b[14]}.${b[15]}` : formatIpv6(b);
}

export function sockTypeName(t: number): string | null {
  switch (t) {
    case 1:
      return "stream";
    case 2:
      return "dgram";
    case 5:
      return "seqpacket";
    case 0:
      return null;
    default:
      return String(t);
  }
}
