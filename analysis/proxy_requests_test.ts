/**
 * The requests asked of an HTTP proxy, by the form of their request-target: every absolute-form
 * request of a keep-alive connection (not only the first), a CONNECT's authority (a tunnel, as in
 * the real recording of Claude Code behind tinyproxy), none for origin form whatever the Host
 * header says, the target's port (else its scheme's), and a break or a target without a host
 * said in `problems`.
 */
import assert from "node:assert/strict";
import { splitTcpConnection, type TcpChunk, tcpChunk } from "./cleartext_http.ts";
import { proxiedTarget, proxyRequests } from "./proxy_requests.ts";
import { openRecording } from "./recording_input.ts";
import { fixtureDir } from "./testing.ts";

const enc = new TextEncoder();

/** The client's (pid 7) writes to a proxy on 127.0.0.1:3128, one call each, 1 ms apart. */
function written(calls: string[], extra: Partial<TcpChunk>[] = []): TcpChunk[] {
  return calls.map((d, i) => ({
    recording: "r",
    pid: 7,
    conn: 900n,
    channel: 900n,
    direction: "write",
    seq: BigInt(i),
    len: BigInt(d.length),
    ts_ns: BigInt(1_000_000 * (i + 1)),
    peer_pid: null,
    local_port: 45000,
    remote_port: 3128,
    local_addr: "127.0.0.1",
    remote_addr: "127.0.0.1",
    data: enc.encode(d),
    truncated: false,
    lost: 0n,
    ...extra[i],
  }));
}

const get = (target: string, host: string) =>
  `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n` +
  "Proxy-Connection: Keep-Alive\r\n\r\n";

const asked = (calls: string[], extra: Partial<TcpChunk>[] = []) => {
  const { rows, problems } = proxyRequests(splitTcpConnection(written(calls, extra)));
  return {
    rows: rows.map((r) => [r.method, r.host, r.port, Number(r.request_ns) / 1e6, r.conn_id]),
    problems: problems.map((p) => [p.kind, p.message]),
  };
};

Deno.test("proxy requests: every host of a keep-alive connection, each at its own request", () => {
  // what `curl -x http://localhost:3128 http://allowed.test/a http://evil.test:8080/b` sends,
  // then a POST whose body holds a request line (framed by its length: not a request)
  const body = "GET http://hidden.test/ HTTP/1.1\r\n\r\n";
  const { rows, problems } = asked([
    get("http://allowed.test/a", "allowed.test"),
    get("http://evil.test:8080/b", "evil.test:8080"),
    `POST http://Up.Test/x HTTP/1.1\r\nHost: up.test\r\nContent-Length: ${body.length}\r\n\r\n` +
    body,
  ]);
  assert.deepEqual(rows, [
    ["GET", "allowed.test", 80, 1, 900n],
    ["GET", "evil.test", 8080, 2, 900n],
    ["POST", "up.test", 80, 3, 900n],
  ]);
  assert.deepEqual(problems, []);
});

Deno.test("proxy requests: origin form is a request to the server, whatever its Host", () => {
  // `curl -H 'Host: evil.test' http://127.0.0.1:8000/` and an origin server's keep-alive
  const { rows } = asked([get("/", "evil.test"), get("/x", "docs.example.test:8000")]);
  assert.deepEqual(rows, []);
  assert.deepEqual(asked([get("*", "evil.test").replace("GET", "OPTIONS")]).rows, []);
});

Deno.test("proxy requests: a CONNECT after absolute-form requests, its port the authority's", () => {
  const connect = "CONNECT evil.test:8443 HTTP/1.1\r\nHost: evil.test:8443\r\n\r\n";
  const { rows } = asked([get("http://allowed.test/", "allowed.test"), connect]);
  assert.deepEqual(rows, [
    ["GET", "allowed.test", 80, 1, 900n],
    ["CONNECT", "evil.test", 8443, 2, 900n],
  ]);
  // https in absolute form (a proxy that takes it), IPv6 and user info
  assert.deepEqual(
    asked([get("https://user:pw@[FD00::5]/k", "[fd00::5]")]).rows,
    [["GET", "fd00::5", 443, 1, 900n]],
  );
});

Deno.test("proxy requests: a CONNECT tunnel of a real recording (Claude Code via tinyproxy)", () => {
  const ipc = openRecording(fixtureDir("claude_proxy")).tables.get("ipc")!;
  const v = ipc.values as Record<string, ArrayLike<unknown>>;
  const chunks = Array.from({ length: ipc.length }, (_, i) =>
    tcpChunk({
      ...Object.fromEntries(Object.keys(v).map((k) => [k, v[k][i]])),
      recording: "r",
      conn: v.inode[i],
      channel: v.inode[i],
      data: { bytes: v.data[i] },
    }));
  const t = splitTcpConnection(chunks);
  const { rows, problems } = proxyRequests(t);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].method, "CONNECT");
  assert.equal(rows[0].host, "api.anthropic.com");
  assert.equal(`${rows[0].host}:${rows[0].port}`, t.tunnel!.target);
  assert.equal(rows[0].request_ns, chunks.find((c) => c.direction === "write")!.ts_ns);
  assert.deepEqual(problems, []);
});

Deno.test("proxy requests: a break after a request to a proxy, a target with no host: said", () => {
  const lost = asked(
    [get("http://allowed.test/a", "allowed.test"), get("http://evil.test/b", "evil.test")],
    [{}, { lost: 40n }],
  );
  assert.deepEqual(lost.rows, [["GET", "allowed.test", 80, 1, 900n]]);
  assert.equal(lost.problems.length, 1);
  assert.match(
    lost.problems[0][1],
    /: its client's requests to the proxy are read up to where bytes were lost: the hosts it asked for after the 1 read are not known$/,
  );
  const cut = asked([get("http://a.test/", "a.test"), get("http://b.test/", "b.test")], [{}, {
    truncated: true,
    len: 9999n,
  }]);
  assert.match(cut.problems[0][1], /where a call of 9999 bytes was cut at \d+:/);
  const none = asked([get("http:///nohost", "x"), get("http://ok.test/", "ok.test")]);
  assert.deepEqual(none.rows, [["GET", "ok.test", 80, 2, 900n]]);
  assert.deepEqual(none.problems.map((p) => p[1].replace(/^.*: /, "")), [
    "GET http:///nohost asks a proxy for a target that names no host",
  ]);
  // a CONNECT without a port: its host is asked for, and the port it goes to said unknown
  const portless = asked(["CONNECT evil.test HTTP/1.1\r\nHost: evil.test\r\n\r\n"]);
  assert.deepEqual(portless.rows, [["CONNECT", "evil.test", null, 1, 900n]]);
  assert.deepEqual(portless.problems.map((p) => p[1].replace(/^.*?\): /, "")), [
    "CONNECT evil.test asks a proxy for evil.test at no port it names (nor one its scheme " +
    "gives): the port it goes to is not known",
  ]);
  // broken before the first request is read: said when the connection is to a proxy
  const first = asked([
    "GET http://evil.test/b HTTP/1.1\r\nHost: ev",
    "il.test\r\n\r\n",
  ], [{}, { lost: 3n }]);
  assert.deepEqual(first.rows, []);
  assert.deepEqual(first.problems.map((p) => p[1].replace(/^.*?\): /, "")), [
    "a connection to an HTTP proxy (its first request is asked of a proxy) whose client's " +
    "requests break before the first is read (bytes were lost): the hosts it asked for are " +
    "not known",
  ]);
  // no request to a proxy before the break: nothing to say here (the HTTP tables say theirs)
  assert.deepEqual(
    asked([get("/", "a.test"), get("/b", "a.test")], [{}, { lost: 3n }]).problems,
    [],
  );
});

Deno.test("proxy requests: where a target asks to go (authorities: protocols/authority_test)", () => {
  assert.deepEqual(proxiedTarget("GET", "/a"), {});
  assert.deepEqual(proxiedTarget("GET", "*"), {});
  assert.deepEqual(proxiedTarget("CONNECT", "Evil.TEST:80"), { host: "evil.test", port: 80 });
  assert.deepEqual(proxiedTarget("CONNECT", "[::1]:8080"), { host: "::1", port: 8080 });
  assert.equal(proxiedTarget("CONNECT", ""), null);
  assert.equal(proxiedTarget("CONNECT", "a.test:99999"), null);
  assert.equal(proxiedTarget("CONNECT", "a.test:x"), null);
  // the scheme's port when the authority names none, or an empty one
  assert.deepEqual(proxiedTarget("GET", "HTTPS://evil.test:/x"), { host: "evil.test", port: 443 });
  // userinfo is not where it goes
  assert.deepEqual(proxiedTarget("GET", "http://allowed.test@evil.test/"), {
    host: "evil.test",
    port: 80,
  });
  assert.deepEqual(proxiedTarget("GET", "ftp://f.test/x"), { host: "f.test", port: 21 });
  assert.deepEqual(proxiedTarget("GET", "gopher://g.test/x"), { host: "g.test", port: null });
  assert.deepEqual(proxiedTarget("CONNECT", "evil.test"), { host: "evil.test", port: null });
  // a fully qualified name's trailing dot is not part of the host (as a DNS question's)
  assert.deepEqual(proxiedTarget("GET", "http://Allowed.Test./x"), {
    host: "allowed.test",
    port: 80,
  });
  assert.deepEqual(proxiedTarget("CONNECT", "evil.test.:443"), { host: "evil.test", port: 443 });
  assert.equal(proxiedTarget("CONNECT", ".:80"), null);
  assert.equal(proxiedTarget("GET", "http://:80/x"), null);
});

Deno.test("proxy requests: a break before any request, a proxy's answer, no client process: said", () => {
  // the client's first call broken (what it asked is not read as a request to a proxy: here
  // origin form), and the server answered 407, as only a proxy does
  const chunks = written([get("/b", "evil.test")], [{ lost: 10n }]);
  const answer = "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n" +
    "Content-Length: 0\r\n\r\n";
  chunks.push({
    ...chunks[0],
    direction: "read",
    seq: 0n,
    ts_ns: 5_000_000n,
    len: BigInt(answer.length),
    data: enc.encode(answer),
    lost: 0n,
  });
  const { rows, problems } = proxyRequests(splitTcpConnection(chunks));
  assert.deepEqual(rows, []);
  assert.deepEqual(problems.map((p) => p.message.replace(/^.*?\): /, "")), [
    "a connection to an HTTP proxy (its server answered as a proxy) whose client's requests " +
    "break before the first is read (bytes were lost): the hosts it asked for are not known",
  ]);
  // the same requests read on the proxy's end (pid 9) from a client no process is traced for
  const untraced = written([get("http://evil.test/b", "evil.test")]).map((c) => ({
    ...c,
    pid: 9,
    direction: "read" as const,
    local_port: 3128,
    remote_port: 45000,
  }));
  const t = splitTcpConnection(untraced);
  assert.equal(t.clientPid, null);
  const none = proxyRequests(t);
  assert.deepEqual(none.rows, []);
  assert.deepEqual(none.problems.map((p) => [p.source, p.message.replace(/^.*?\): /, "")]), [[
    "cleartext tcp pid 9 conn 900",
    "a connection to an HTTP proxy (its first request is asked of a proxy) whose client " +
    "process was not traced (seen only from pid 9's end): the hosts it asked the proxy for " +
    "are not judged",
  ]]);
  // a connection to a server in origin form, with no client process: nothing to say here
  const origin = written([get("/b", "evil.test")]).map((c) => ({
    ...c,
    pid: 9,
    direction: "read" as const,
  }));
  assert.deepEqual(proxyRequests(splitTcpConnection(origin)).problems, []);
});
