/**
 * The host and port a URI authority names (RFC 3986 3.2): a Host header or HTTP/2 `:authority`
 * (RFC 9110 7.2), a CONNECT's authority-form target (RFC 9112 3.2.3), or the authority of an
 * absolute-form target (3.2.2). One reader for every caller; each gives the port its context
 * defaults to (its scheme's, `DEFAULT_PORT`).
 *
 * - SP and HTAB around it are dropped (RFC 9110 5.6.3 OWS), no other white space;
 * - userinfo (`user:pw@`) is dropped: the host after the last `@` is where the request goes
 *   (RFC 9110 4.2.4 calls userinfo in an http(s) URI an error, used to obscure the host);
 * - the host is in ASCII lower case (RFC 3986 3.2.2, 6.2.2.1, RFC 4343: A-Z only; non-ASCII is
 *   as written, as IDNA's mapping is not made here); an IP literal without
 *   its brackets (`[::1]` is `::1`, as an IP address is written elsewhere: `ipc.remote_addr`,
 *   OpenTelemetry's `server.address`); a name without the trailing dot of its fully qualified
 *   form (3.2.2: `allowed.test.` is the DNS name `allowed.test`, as a DNS question names it);
 * - a missing or empty port (`h`, `h:`: RFC 3986 3.2.3, 6.2.3) is the caller's default;
 * - null (the caller says so) when it names no host, when the host holds a character a
 *   reg-name may not (a space, `/`, `?`, `#`, a control character, ...; non-ASCII is kept, as an
 *   IRI's ihost), or when the port is not a number from 0 to 65535.
 */

/** The port a scheme's URIs default to (RFC 9110 4.2, RFC 6455 3, RFC 1738 3.2). */
export const DEFAULT_PORT: Readonly<Record<string, number>> = {
  http: 80,
  https: 443,
  ws: 80,
  wss: 443,
  ftp: 21,
};

/** A host (lower case, unbracketed, no trailing dot) and port (null: none named nor given). */
export interface HostPort {
  host: string;
  port: number | null;
}

/** userinfo@ (RFC 3986 3.2.1 allows no `@` inside it: the last `@` ends it) */
const USERINFO = /^.*@/s;
/** host (an IP literal in brackets: IPv6, IPvFuture, a zone; or a reg-name) and an optional
 * `:port` of digits */
const HOST_PORT = /^(\[[0-9A-Za-z:._~%!$&'()*+,;=\-]+\]|[^:\[\]]+)(?::([0-9]*))?$/;
/** RFC 9110 OWS around a field value: SP and HTAB */
const OWS = /^[ \t]+|[ \t]+$/g;
/** reg-name: unreserved, pct-encoded, sub-delims (RFC 3986 3.2.2); non-ASCII as an IRI's */
const REG_NAME = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2}|[\u0080-\uffff])+$/;

/**
 * The host and port `authority` names, `defaultPort` when it names none (or an empty one);
 * null when it names no host, the host is not a reg-name or IP literal, or the port is bad.
 */
export function hostPort(authority: string, defaultPort: number | null): HostPort | null {
  const m = HOST_PORT.exec(authority.replace(OWS, "").replace(USERINFO, ""));
  if (!m) return null;
  const literal = m[1].startsWith("[");
  if (!literal && !REG_NAME.test(m[1])) return null;
  const host = (literal ? m[1].slice(1, -1) : m[1].replace(/\.$/, ""))
    .replace(/[A-Z]+/g, (c) => c.toLowerCase());
  if (!host) return null;
  if (m[2] === undefined || m[2] === "") return { host, port: defaultPort };
  const port = Number(m[2]);
  return port <= 65535 ? { host, port } : null;
}
