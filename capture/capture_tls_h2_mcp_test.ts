/**
 * MCP over HTTPS on HTTP/2, end to end under a real capture: curl (OpenSSL, ALPN h2, nghttp2)
 * sends, on one connection, an LLM API request whose tool input has `api_key` and `password`
 * keys, then an MCP `initialize` (streamable HTTP's `Accept`) with a token in its params, to a
 * node:http2 TLS server outside the capture, which answers the first with JSON holding a
 * `password` and the second with an event stream whose JSON-RPC answer holds a token. In
 * tls.arrow the MCP request's and answer's secret values are `*`, same length, and no file of the
 * recording holds them; the LLM API's bodies are there byte for byte.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeTestCerts } from "../tests/support/certs.ts";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureForTest } from "../tests/support/capture.ts";
import { tlsStreams } from "../recording/recording.ts";
import { createHttp2Parser, type Http2Direction } from "../protocols/http2.ts";
import { startsWithHttp2Preface } from "../protocols/http2_frame.ts";

const MCP_TOKEN = "tok-SECRET-h2-initialize-7";
const SERVER_TOKEN = "srv-SECRET-h2-answer-42";
const LLM_BODY =
  '{"model":"m","tools":[{"input":{"api_key":"llm-KEEP-key","password":"llm-KEEP-pw"}}]}';
const INIT = JSON.stringify({
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, _meta: { token: MCP_TOKEN } },
  jsonrpc: "2.0",
  id: 0,
});
const ANSWER = JSON.stringify({
  result: { serverInfo: { name: "s", version: "1" }, access_token: SERVER_TOKEN },
  jsonrpc: "2.0",
  id: 0,
});
const LLM_ANSWER =
  '{"id":"msg","content":[{"type":"text","text":"hi"}],"password":"llm-KEEP-answer"}';

/** node:http2 over TLS (ALPN h2); prints its port. */
const SERVER_JS = `
const http2 = require("node:http2"), fs = require("node:fs");
const [key, cert, answer, llm] = process.argv.slice(1); // node -e: no script path
const s = http2.createSecureServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) });
s.on("stream", (st, h) => {
  st.on("data", () => {});
  st.on("end", () => {
    if (h[":path"] === "/mcp") {
      st.respond({ ":status": 200, "content-type": "text/event-stream" });
      st.end("event: message\\ndata: " + fs.readFileSync(answer, "utf8") + "\\n\\n");
    } else {
      st.respond({ ":status": 200, "content-type": "application/json" });
      st.end(fs.readFileSync(llm, "utf8"));
    }
  });
});
s.listen(0, "127.0.0.1", () => console.log(s.address().port));
`;

function bodiesOf(direction: Http2Direction, bytes: Uint8Array): string[] {
  const bodies = new Map<number, string>();
  const errors: string[] = [];
  const p = createHttp2Parser({
    onData: (d) =>
      bodies.set(d.streamId, (bodies.get(d.streamId) ?? "") + new TextDecoder().decode(d.data)),
    onError: (e) => errors.push(e.message),
  }, { direction });
  p.feed(bytes);
  p.end();
  assert.deepEqual(errors, []);
  return [...bodies.values()];
}

const star = (s: string, secret: string) => s.replace(secret, "*".repeat(secret.length));

Deno.test({
  name:
    "curl over h2: an MCP initialize's and its SSE answer's tokens masked in tls.arrow, the LLM API's bodies untouched",
  ignore: skipWithoutRoot(),
  async fn() {
    const certs = await makeTestCerts();
    const dir = await Deno.makeTempDir({ prefix: "sl-h2mcp-" });
    const file = (name: string, text: string) => {
      Deno.writeTextFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const key = file("key.pem", certs.key), cert = file("cert.pem", certs.cert);
    // bodies from files: a secret on a command line would be in the recording's exec events
    const args = [file("answer.json", ANSWER), file("llm.json", LLM_ANSWER)];
    const init = file("init.json", INIT), llm = file("llm_req.json", LLM_BODY);
    const server = new Deno.Command("node", {
      args: ["-e", SERVER_JS, key, cert, ...args],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      const line = await server.stdout.pipeThrough(new TextDecoderStream()).getReader().read();
      const url = `https://localhost:${Number(line.value)}`;
      const out = join(dir, "rec");
      // the answers to /dev/null: on curl's stdout (a pipe) they would be in ipc.arrow too, and
      // this test is about what tls.arrow holds
      const common = [
        "-o",
        "/dev/null",
        "-sS",
        "--http2",
        "--cacert",
        certs.caPath,
        "-H",
        "content-type: application/json",
      ];
      const { res, rec } = await captureForTest({
        out,
        cmd: [
          "curl",
          ...common,
          "--data-binary",
          `@${llm}`,
          `${url}/v1/messages`,
          "--next",
          ...common,
          "-H",
          "accept: application/json, text/event-stream",
          "--data-binary",
          `@${init}`,
          `${url}/mcp`,
        ],
      });
      assert.equal(res.exitCode, 0);
      const h2 = tlsStreams(rec.tls).filter((s) => startsWithHttp2Preface(s.write));
      assert.equal(h2.length, 1, "one h2 connection recorded");
      const [s] = h2;
      assert.equal(s.lost, 0);
      assert.deepEqual(bodiesOf("client", s.write), [LLM_BODY, star(INIT, MCP_TOKEN)]);
      assert.deepEqual(bodiesOf("server", s.read), [
        LLM_ANSWER,
        `event: message\ndata: ${star(ANSWER, SERVER_TOKEN)}\n\n`,
      ]);
      // and in no file of the recording
      for await (const f of Deno.readDir(out)) {
        if (!f.isFile) continue;
        const text = new TextDecoder("latin1").decode(Deno.readFileSync(join(out, f.name)));
        for (const secret of [MCP_TOKEN, SERVER_TOKEN]) {
          assert.ok(!text.includes(secret), `${f.name} holds ${secret}`);
        }
      }
    } finally {
      try {
        server.kill();
      } catch { /* it had exited: its stderr says why */ }
      await server.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
