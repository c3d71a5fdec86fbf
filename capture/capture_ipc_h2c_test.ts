/**
 * Capture of cleartext HTTP/2 on loopback TCP (h2c with prior knowledge, as gRPC speaks it:
 * an OTLP/gRPC exporter sending `authorization` metadata to a local collector), real eBPF: a
 * node:http2 client POSTs twice with Authorization, x-api-key and Cookie headers to a node:http2
 * server it started on 127.0.0.1, which answers with Set-Cookie and Mcp-Session-Id. Both ends
 * are in ipc.arrow from their first byte; the header values are masked at the same length in
 * the HPACK blocks (so no file of the recording holds them, literal or Huffman-coded), the rest
 * still parses as HTTP/2; with --keep-secrets they are there as sent.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureForTest } from "../tests/support/capture.ts";
import { concatBytes } from "../kit/bytes.ts";
import type { IpcRow } from "../recording/schema.ts";
import { createHttp2Parser } from "../protocols/mod.ts";
import { huffmanEncode } from "../protocols/hpack_huffman.ts";
import { HTTP2_PREFACE } from "../protocols/http2_frame.ts";

/** Sent by the client (both requests) and by the server (both answers). */
const CLIENT_SECRETS = {
  authorization: "Bearer sk-h2c-0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d",
  "x-api-key": "APIKEY-h2c-93f1c7a2",
  cookie: "session=COOKIE-h2c-5d8e",
};
const SERVER_SECRETS = {
  "set-cookie": "sid=SETCOOKIE-h2c-71b4; HttpOnly",
  "mcp-session-id": "SESSION-h2c-2c9f4e1a",
};

/** Answers every stream with JSON; ends when its one client session has closed. */
const SERVER_JS = `
const http2 = require("node:http2");
const s = http2.createServer();
s.on("stream", (st, h) => {
  let n = 0;
  st.on("data", (d) => n += d.length);
  st.on("end", () => {
    st.respond({ ":status": 200, "content-type": "application/json",
      ...${JSON.stringify(SERVER_SECRETS)} });
    st.end(JSON.stringify({ ok: h[":path"], bytes: n }));
  });
});
s.on("session", (sess) => sess.on("close", () => s.close()));
s.listen(0, "127.0.0.1", () => console.log(s.address().port));
`;

/** Starts the server, two POSTs on one connection, writes the server's pid and port. */
const CLIENT_JS = `
const http2 = require("node:http2");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const [server, log] = process.argv.slice(2);
const p = spawn(process.execPath, [server], { stdio: ["ignore", "pipe", "inherit"] });
p.stdout.once("data", async (d) => {
  const port = Number(String(d).trim());
  const c = http2.connect("http://127.0.0.1:" + port);
  for (const path of ["/v1/traces", "/v1/metrics"]) {
    await new Promise((resolve, reject) => {
      const req = c.request({ ":method": "POST", ":path": path,
        "content-type": "application/json", ...${JSON.stringify(CLIENT_SECRETS)} });
      req.on("response", () => {});
      req.on("data", () => {});
      req.on("end", resolve);
      req.on("error", reject);
      req.end(JSON.stringify({ resourceSpans: [{ path }] }));
    });
  }
  c.close();
  p.on("exit", () => fs.writeFileSync(log, JSON.stringify({ server: p.pid, port })));
});
`;

function stream(rows: IpcRow[]): Uint8Array {
  return concatBytes(rows.sort((a, b) => Number(a.seq - b.seq)).map((r) => r.data));
}

/** Every value of the named headers in one direction's bytes, and the DATA, as parsed. */
function parse(bytes: Uint8Array, direction: "client" | "server", names: string[]) {
  const values: Record<string, string[]> = {};
  const paths: string[] = [];
  let data = "";
  const errors: string[] = [];
  const p = createHttp2Parser({
    onHeaders: (h) => {
      for (const n of names) values[n] = [...values[n] ?? [], ...h.lookup[n] ?? []];
      paths.push(...h.lookup[":path"] ?? []);
    },
    onData: (d) => data += new TextDecoder().decode(d.data),
    onError: (e) => errors.push(e.message),
  }, { direction });
  p.feed(bytes);
  p.end();
  return { values, paths, data, errors };
}

/** The secret as HPACK may carry it: literal, or Huffman-coded (its bytes but the padded last). */
function forms(secret: string): Uint8Array[] {
  const raw = new TextEncoder().encode(secret);
  const huff = huffmanEncode(raw);
  return [raw, huff.subarray(0, huff.length - 1)];
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return true;
  }
  return false;
}

async function captureH2c(keepSecrets: boolean) {
  const tmp = await Deno.makeTempDir({ prefix: "sl-ipc-h2c-" });
  // scripts in files: a secret on a command line would be in process.arrow
  await Deno.writeTextFile(`${tmp}/server.js`, SERVER_JS);
  await Deno.writeTextFile(`${tmp}/client.js`, CLIENT_JS);
  const logPath = `${tmp}/log.json`;
  const { res, rec } = await captureForTest({
    cmd: ["/usr/bin/node", `${tmp}/client.js`, `${tmp}/server.js`, logPath],
    out: `${tmp}/rec`,
    keepSecrets,
  });
  assert.equal(res.exitCode, 0);
  const log = JSON.parse(await Deno.readTextFile(logPath)) as { server: number; port: number };
  const files: Uint8Array[] = [];
  for await (const e of Deno.readDir(`${tmp}/rec`)) {
    files.push(await Deno.readFile(`${tmp}/rec/${e.name}`));
  }
  return { tmp, rec, log, client: rec.manifest.root_pid!, files };
}

for (const keepSecrets of [false, true]) {
  Deno.test({
    name: keepSecrets
      ? "h2c on loopback with --keep-secrets: the header values are recorded as sent"
      : "h2c on loopback is recorded from both ends with its secret headers masked (HPACK)",
    ignore: skipWithoutRoot(),
    async fn() {
      const { tmp, rec, log, client, files } = await captureH2c(keepSecrets);
      try {
        const ipc = rec.ipc.filter((r) => r.kind === "tcp");
        const sent = ipc.filter((r) => r.pid === client && r.remote_port === log.port);
        const got = ipc.filter((r) => r.pid === log.server && r.local_port === log.port);
        assert.ok(sent.length && got.length, "both ends recorded");
        assert.ok(ipc.every((r) => r.lost === 0n && !r.truncated), "nothing lost or cut");
        const req = stream(sent.filter((r) => r.direction === "write"));
        const ans = stream(sent.filter((r) => r.direction === "read"));
        // from the first byte, at both ends: the server's own first write is its SETTINGS
        assert.deepEqual(req.subarray(0, HTTP2_PREFACE.length), HTTP2_PREFACE);
        assert.deepEqual(stream(got.filter((r) => r.direction === "read")), req);
        assert.deepEqual(stream(got.filter((r) => r.direction === "write")), ans);
        for (const [bytes, len] of [[req, "write"], [ans, "read"]] as const) {
          const total = sent.filter((r) => r.direction === len).reduce((a, r) => a + r.len, 0n);
          assert.equal(BigInt(bytes.length), total, "same length");
        }
        const c = parse(req, "client", Object.keys(CLIENT_SECRETS));
        const s = parse(ans, "server", Object.keys(SERVER_SECRETS));
        assert.deepEqual([c.errors, s.errors], [[], []], "both directions still parse");
        assert.deepEqual(c.paths, ["/v1/traces", "/v1/metrics"]);
        assert.ok(c.data.includes('"path":"/v1/metrics"') && s.data.includes('"bytes":'));
        for (const [secrets, p] of [[CLIENT_SECRETS, c], [SERVER_SECRETS, s]] as const) {
          for (const [name, value] of Object.entries(secrets)) {
            // masked in place, the wire length kept: '*' octets, or (a Huffman-coded value the
            // encoder indexed) mask symbols of the same code lengths (hpack.ts's secretMask)
            const values = p.values[name] ?? [];
            assert.equal(values.length, 2, name);
            for (const v of values) {
              if (keepSecrets) assert.equal(v, value, name);
              else if (name === "mcp-session-id") {
                // the session id: its keyed digest (protocols/session_digest.ts), the same for
                // both messages, where the replacement can be plain octets; else the mask
                assert.match(v, /^[\x21-\x7e]+$/, name);
                assert.ok(!v.includes("SESSION") && !v.includes("2c9f4e1a"), v);
                assert.equal(v, values[0], `${name}: one id, one digest`);
              } else assert.match(v, /^[*x_0]+$/, `${name}: ${JSON.stringify(values)}`);
            }
            const inFiles = files.some((f) => forms(value).some((v) => contains(f, v)));
            assert.equal(inFiles, keepSecrets, `${name} in the recording's files`);
          }
        }
      } finally {
        await Deno.remove(tmp, { recursive: true }).catch(() => {});
      }
    },
  });
}

/**
 * The h2c upgrade, for real: curl (nghttp2) sends `GET /first` over HTTP/1.1 with `Upgrade: h2c`
 * to a server made with hyper-h2 (Debian's python3-h2), which answers `101`, then stream 1's
 * answer in HTTP/2; curl's second request goes on the same connection as HTTP/2.
 */
const UPGRADE_SERVER_PY = `
import socket, sys, h2.connection, h2.config, h2.events
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
print(l.getsockname()[1], flush=True)
s, _ = l.accept()
buf = b""
while b"\\r\\n\\r\\n" not in buf:
    buf += s.recv(65536)
head, data = buf.split(b"\\r\\n\\r\\n", 1)
lines = head.split(b"\\r\\n")
hdrs = {k.strip().lower(): v.strip() for k, v in (x.split(b":", 1) for x in lines[1:])}
assert hdrs.get(b"upgrade") == b"h2c", hdrs
conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
s.sendall(b"HTTP/1.1 101 Switching Protocols\\r\\nConnection: Upgrade\\r\\nUpgrade: h2c\\r\\n\\r\\n")
conn.initiate_upgrade_connection(hdrs[b"http2-settings"])
def answer(sid, path):
    body = b'{"path":"' + path + b'"}'
    conn.send_headers(sid, [(":status", "200"), ("content-type", "application/json"),
        *${JSON.stringify(Object.entries(SERVER_SECRETS))},
        ("content-length", str(len(body)))])
    conn.send_data(sid, body, end_stream=True)
answer(1, lines[0].split(b" ")[1])
s.sendall(conn.data_to_send())
paths = {}
while True:
    for ev in conn.receive_data(data) if data else []:
        if isinstance(ev, h2.events.RequestReceived):
            paths[ev.stream_id] = dict(ev.headers)[b":path"]
        elif isinstance(ev, h2.events.StreamEnded):
            answer(ev.stream_id, paths[ev.stream_id])
    s.sendall(conn.data_to_send())
    data = s.recv(65536)
    if not data:
        break
`;

/** Starts the server, runs curl (headers from a file: not on a command line), logs pid, port. */
const UPGRADE_CLIENT_PY = `
import sys, subprocess, json
server, headers, log = sys.argv[1:]
p = subprocess.Popen([sys.executable, server], stdout=subprocess.PIPE)
port = int(p.stdout.readline())
out = subprocess.run(["curl", "-s", "--http2", "-H", "@" + headers, "-w", " %{http_version}\\\\n",
    f"http://127.0.0.1:{port}/first", f"http://127.0.0.1:{port}/second"],
    capture_output=True, text=True, check=True).stdout
p.wait()
open(log, "w").write(json.dumps({"server": p.pid, "port": port, "out": out}))
`;

const UPGRADE_SECRETS = {
  authorization: "Bearer sk-upgrade-0f9e8d7c6b5a4f3e2d1c",
  cookie: "session=COOKIE-upgrade-77a1",
};

for (const keepSecrets of [false, true]) {
  Deno.test({
    name: `h2c upgrade (curl, hyper-h2) on loopback: HTTP/1 head, then HTTP/2, ${
      keepSecrets ? "kept with --keep-secrets" : "secrets masked in both"
    }`,
    ignore: skipWithoutRoot(),
    async fn() {
      const tmp = await Deno.makeTempDir({ prefix: "sl-ipc-h2c-up-" });
      try {
        await Deno.writeTextFile(`${tmp}/server.py`, UPGRADE_SERVER_PY);
        await Deno.writeTextFile(`${tmp}/client.py`, UPGRADE_CLIENT_PY);
        await Deno.writeTextFile(
          `${tmp}/headers`,
          Object.entries(UPGRADE_SECRETS).map(([k, v]) => `${k}: ${v}\n`).join(""),
        );
        const logPath = `${tmp}/log.json`;
        const { res, rec } = await captureForTest({
          cmd: [
            "/usr/bin/python3",
            `${tmp}/client.py`,
            `${tmp}/server.py`,
            `${tmp}/headers`,
            logPath,
          ],
          out: `${tmp}/rec`,
          keepSecrets,
        });
        assert.equal(res.exitCode, 0);
        const log = JSON.parse(await Deno.readTextFile(logPath));
        // both answers came over HTTP/2: the upgrade happened
        assert.equal(log.out, '{"path":"/first"} 2\n{"path":"/second"} 2\n');
        const ipc = rec.ipc.filter((r) => r.kind === "tcp");
        const sent = ipc.filter((r) => r.remote_port === log.port);
        const got = ipc.filter((r) => r.pid === log.server && r.local_port === log.port);
        assert.ok(sent.length && got.length, "both ends recorded");
        assert.ok(ipc.every((r) => r.lost === 0n && !r.truncated), "nothing lost or cut");
        const req = stream(sent.filter((r) => r.direction === "write"));
        const ans = stream(sent.filter((r) => r.direction === "read"));
        assert.deepEqual(stream(got.filter((r) => r.direction === "read")), req);
        assert.deepEqual(stream(got.filter((r) => r.direction === "write")), ans);
        const split = (b: Uint8Array) => {
          const end = new TextDecoder("latin1").decode(b).indexOf("\r\n\r\n") + 4;
          return [new TextDecoder().decode(b.subarray(0, end)), b.subarray(end)] as const;
        };
        const [reqHead, reqH2] = split(req), [ansHead, ansH2] = split(ans);
        assert.match(reqHead, /^GET \/first HTTP\/1.1\r\n/);
        assert.match(ansHead, /^HTTP\/1.1 101 /);
        for (const [name, value] of Object.entries(UPGRADE_SECRETS)) {
          const line = new RegExp(`\r\n${name}: (.*)\r\n`, "i").exec(reqHead)?.[1];
          assert.equal(line, keepSecrets ? value : "*".repeat(value.length), name);
        }
        // the second request and both answers, in HTTP/2
        const c = parse(reqH2, "client", Object.keys(UPGRADE_SECRETS));
        const s = parse(ansH2, "server", Object.keys(SERVER_SECRETS));
        assert.deepEqual([c.errors, s.errors], [[], []], "both directions still parse");
        assert.deepEqual(c.paths, ["/second"]);
        assert.ok(s.data.includes('{"path":"/first"}') && s.data.includes('{"path":"/second"}'));
        for (
          const [secrets, p, n] of [[UPGRADE_SECRETS, c, 1], [SERVER_SECRETS, s, 2]] as const
        ) {
          for (const [name, value] of Object.entries(secrets)) {
            const values = p.values[name] ?? [];
            assert.equal(values.length, n, name);
            for (const v of values) {
              if (keepSecrets) assert.equal(v, value, name);
              else if (name === "mcp-session-id") {
                // the session id: its keyed digest (protocols/session_digest.ts), the same for
                // both messages, where the replacement can be plain octets; else the mask
                assert.match(v, /^[\x21-\x7e]+$/, name);
                assert.ok(!v.includes("SESSION") && !v.includes("2c9f4e1a"), v);
                assert.equal(v, values[0], `${name}: one id, one digest`);
              } else assert.match(v, /^[*x_0]+$/, `${name}: ${JSON.stringify(values)}`);
            }
          }
        }
        const files: Uint8Array[] = [];
        for await (const e of Deno.readDir(`${tmp}/rec`)) {
          files.push(await Deno.readFile(`${tmp}/rec/${e.name}`));
        }
        for (const value of [...Object.values(UPGRADE_SECRETS), ...Object.values(SERVER_SECRETS)]) {
          const inFiles = files.some((f) => forms(value).some((v) => contains(f, v)));
          assert.equal(inFiles, keepSecrets, `${value} in the recording's files`);
        }
      } finally {
        await Deno.remove(tmp, { recursive: true }).catch(() => {});
      }
    },
  });
}
