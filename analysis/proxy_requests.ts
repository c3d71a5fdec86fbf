/**
 * The requests a traced client asked of an HTTP proxy on a cleartext TCP connection, by the form
 * of their request-target (RFC 9112 3.2): a request to a proxy names the whole URI in absolute
 * form (`GET http://evil.test/b HTTP/1.1`, 3.2.2), a tunnel is asked for with CONNECT and an
 * authority (`CONNECT evil.test:443 HTTP/1.1`, 3.2.3); a request in origin form (`GET /b`) is a
 * request to the server itself, whatever its Host header says. Every request of the client's
 * stream counts, not only the first: a keep-alive connection to a proxy carries requests for
 * many hosts (`curl -x http://localhost:3128 http://allowed.test/a http://evil.test/b`), and
 * after a CONNECT the connection is the tunnel's. The host and port are the target's (an
 * absolute URI without a port: its scheme's, 80 for http and ws, 443 for https and wss).
 *
 * Said in `problems`, never dropped: a target asked of a proxy that names no host or no port
 * (a CONNECT's authority without one, a scheme whose port is not known), a tunnel
 * whose CONNECT was not recorded, a client stream that breaks (bytes lost, a call cut, a head
 * that does not parse) after requests to a proxy, whose later requests, and the hosts they
 * asked for, are not read, or before its first request when the connection is to a proxy (its
 * first bytes ask a proxy, or its server answered as one: 407, `Proxy-Agent`), and such a
 * connection whose client process is not known.
 */
import {
  absoluteTarget,
  createHttp1RequestParser,
  DEFAULT_PORT,
  type HostPort,
  hostPort,
} from "../protocols/mod.ts";
import {
  CLEARTEXT_GEN,
  cleartextLabel,
  connectionName,
  type TcpChunk,
  type TcpConnection,
} from "./cleartext_http.ts";
import type { ProblemRow, ProxyRequestRow } from "./schema.ts";

/**
 * Where a request asks a proxy to go: an absolute-form target's host and port, a CONNECT's
 * authority's; `{}` when the target is in origin (or asterisk) form: no proxy is asked; null
 * when it is asked of a proxy but names no host.
 */
export function proxiedTarget(
  method: string,
  target: string,
): HostPort | null | Record<never, never> {
  if (method === "CONNECT") return hostPort(target, null);
  const t = absoluteTarget(target);
  if (!t) return {};
  return hostPort(t.authority, DEFAULT_PORT[t.scheme] ?? null);
}

/** A client's first request asked of a proxy: a CONNECT, or a target in absolute form. */
const PROXY_REQUEST_LINE =
  /^(CONNECT [^ \r\n]|[!#$%&'*+.^_`|~0-9A-Za-z-]+ [A-Za-z][A-Za-z0-9+.-]*:\/\/)/;

/** An answer only a forward proxy gives: 407, `Proxy-Authenticate`, `Proxy-Agent` (RFC 9110). */
const PROXY_ANSWER = /^HTTP\/1\.[01] 407 |\r\n(Proxy-Authenticate|Proxy-Agent)[ \t]*:/i;

const latin1 = new TextDecoder("latin1");

/** The first bytes of a stream (its first call's, up to 4 KiB), as text. */
function firstText(chunks: TcpChunk[] | undefined): string {
  const c = chunks?.find((c) => c.data.length > 0);
  return c ? latin1.decode(c.data.subarray(0, 4096)) : "";
}

/**
 * Why `t` is a connection to an HTTP proxy, read from its start alone (for a connection whose
 * requests are not read): a tunnel, a first request asked of a proxy, or a proxy's answer;
 * null when nothing says so.
 */
function toProxyWhy(t: TcpConnection): string | null {
  if (t.tunnel) return "a proxy's tunnel";
  if (PROXY_REQUEST_LINE.test(firstText(t.client?.chunks))) {
    return "its first request is asked of a proxy";
  }
  if (PROXY_ANSWER.test(firstText(t.server?.chunks))) return "its server answered as a proxy";
  return null;
}

/** Whether a chunk breaks its stream: bytes lost before or in it, or the call cut. */
function breaks(c: TcpChunk, prev: TcpChunk | undefined): boolean {
  if (c.lost > 0n || c.truncated) return true;
  return prev?.seq !== undefined && c.seq !== undefined && c.seq !== prev.seq + 1n;
}

/** Where the rows of one connection's requests to a proxy come from. */
type ConnOf = Pick<ProxyRequestRow, "recording" | "conn_id" | "conn_gen" | "pid">;

/**
 * The row of a request when it asks a proxy for a host (`rows`), and what makes its
 * destination unknown (`say`): no host, or no port.
 */
function askedOfProxy(
  conn: ConnOf,
  q: { method: string; target: string; ns: bigint },
  rows: ProxyRequestRow[],
  say: (message: string) => void,
): void {
  const { method, target } = q;
  const to = proxiedTarget(method, target);
  if (to === null) {
    say(`${method} ${target.slice(0, 200)} asks a proxy for a target that names no host`);
  } else if ("host" in to) {
    rows.push({ ...conn, request_ns: q.ns, method, target, host: to.host, port: to.port });
    if (to.port === null) {
      say(
        `${method} ${target.slice(0, 200)} asks a proxy for ${to.host} at no port it names ` +
          "(nor one its scheme gives): the port it goes to is not known",
      );
    }
  }
}

/**
 * The requests a client asked of a proxy over TLS (an HTTPS proxy: `curl -x https://…`,
 * `HTTPS_PROXY=https://…`), read from the decrypted HTTP/1 stream as any other exchange, in
 * order: those in absolute form and CONNECTs, as on a cleartext connection. `say` gets the
 * problems (a target naming no host or port).
 */
export function tlsProxyRequests(
  conn: ConnOf,
  requests: readonly { method: string; target: string; ns: bigint }[],
  say: (message: string) => void,
): ProxyRequestRow[] {
  const rows: ProxyRequestRow[] = [];
  for (const q of requests) askedOfProxy(conn, q, rows, say);
  return rows;
}

/**
 * The requests `t`'s client asked of a proxy, in order, and the problems of reading them (see
 * the module's doc). A connection that is a proxy's tunnel (`t.tunnel`) asked for its target
 * first; the cleartext HTTP in a tunnel is read as its own stream after it.
 */
export function proxyRequests(
  t: TcpConnection,
): { rows: ProxyRequestRow[]; problems: ProblemRow[] } {
  const rows: ProxyRequestRow[] = [];
  const problems: ProblemRow[] = [];
  const pid = t.clientPid;
  /** a problem of this connection, said from its client's end (the end seen, when not known) */
  const say = (message: string) =>
    problems.push({
      recording: t.recording,
      source: cleartextLabel(pid ?? t.rows[0].pid, t.conn),
      kind: "protocol",
      message: `${connectionName(t)}: ${message}`,
      exchange_id: null,
    });
  if (t.http2) return { rows, problems };
  if (pid === null) {
    // no traced process is its client: whose requests they were is not known
    const why = toProxyWhy(t);
    if (why !== null) {
      say(
        `a connection to an HTTP proxy (${why}) whose client process was not traced (seen ` +
          `only from pid ${t.rows[0].pid}'s end): the hosts it asked the proxy for are not judged`,
      );
    }
    return { rows, problems };
  }
  const add = (method: string, target: string, ns: bigint) =>
    askedOfProxy(
      { recording: t.recording, conn_id: t.conn, conn_gen: CLEARTEXT_GEN, pid },
      {
        method,
        target,
        ns,
      },
      rows,
      say,
    );
  if (t.tunnel?.target && t.tunnel.at !== undefined) add("CONNECT", t.tunnel.target, t.tunnel.at);
  if (t.tunnel?.target === null) {
    say(
      "a proxy's tunnel whose CONNECT was not recorded (a capture from before the kernel side " +
        "knew CONNECT): the host it asked the proxy for is not known",
    );
  }
  if (t.tunnel && !t.tunnel.http) return { rows, problems };
  const chunks = t.client?.chunks ?? [];
  // each chunk's first stream offset, to time a request by the call its head began in
  const starts: number[] = [];
  let offset = 0;
  let broken: string | null = null;
  const parser = createHttp1RequestParser({
    onHead(h) {
      let i = starts.length - 1;
      while (i > 0 && starts[i] > h.startOffset) i--;
      add(h.method!, h.target!, chunks[i].ts_ns);
    },
    onError(e) {
      broken ??= `a request does not parse (${e.message})`;
    },
  });
  for (let i = 0; i < chunks.length && broken === null; i++) {
    const c = chunks[i];
    if (breaks(c, chunks[i - 1])) {
      broken = c.truncated && c.lost === 0n
        ? `a call of ${c.len ?? "?"} bytes was cut at ${c.data.length}`
        : "bytes were lost";
      break;
    }
    starts.push(offset);
    offset += c.data.length;
    parser.feed(c.data);
  }
  if (broken === null) parser.end();
  if (broken !== null && rows.length > 0) {
    say(
      `its client's requests to the proxy are read up to where ${broken}: the hosts it asked ` +
        `for after the ${rows.length} read are not known`,
    );
  } else if (broken !== null) {
    // broken before its first request was read: said when the connection is to a proxy
    const why = toProxyWhy(t);
    if (why !== null) {
      say(
        `a connection to an HTTP proxy (${why}) whose client's requests break before the ` +
          `first is read (${broken}): the hosts it asked for are not known`,
      );
    }
  }
  return { rows, problems };
}
