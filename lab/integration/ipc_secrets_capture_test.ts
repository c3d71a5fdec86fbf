/**
 * Secrets in later MCP messages under capture (real eBPF, real bytes): a client talks to the
 * pinned server-everything over stdio, and over streamable HTTP on loopback with every POST on
 * one keep-alive connection; after `initialize`, a `tools/call` of `echo` carries an `api_key`
 * and a `token` in its arguments (the server's schema drops them; the request still holds
 * them). Nothing of either secret is in ipc.arrow, while the analysis still sees the call:
 * `mcp_calls` has it, its arguments with the secret values masked (same length) and the
 * others as sent, and its result. Over HTTP the client opens two sessions of the one endpoint:
 * their `Mcp-Session-Id`s are in no file of the recording, and the analysis still tells the
 * two apart (the capture writes a keyed digest of each: protocols/session_digest.ts).
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { captureWithLog } from "../../tests/support/capture.ts";
import { MCP_SERVER_BINS } from "../agents/mcp_servers.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { checkRows, show } from "./check_queries.ts";
import { prices } from "../../analysis/testing.ts";

const API_KEY = "sk-LATER-3f9a1c7e5b2d4068";
const TOKEN = "tok-LATER-8e2b6d0a4c";

/** The client: over stdio, or (argv[2] = port) over streamable HTTP; writes what it got. */
const CLIENT_PY = `
import subprocess, json, sys, os, time, http.client, functools
json.dumps = functools.partial(json.dumps, separators=(",", ":"))  # as the MCP SDKs write
server, port, log = sys.argv[1], sys.argv[2], sys.argv[3]
call = {"name": "echo", "arguments": {"message": "hello", "api_key": "${API_KEY}",
                                     "opts": {"token": "${TOKEN}"}}}
msgs = [
    {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
     "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call},
]
got = []
sessions = []
if port == "stdio":
    p = subprocess.Popen([server, "stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    for m in msgs:
        p.stdin.write((json.dumps(m) + "\\n").encode()); p.stdin.flush()
        while "id" in m:
            a = json.loads(p.stdout.readline())
            if a.get("id") == m["id"] and "method" not in a:
                got.append(a); break
    p.stdin.close(); p.wait(timeout=20)
    open(log, "w").write(json.dumps({"got": got, "sessions": sessions}))
    sys.exit(0)
else:
    p = subprocess.Popen([server, "streamableHttp"], env={**os.environ, "PORT": port},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            c = http.client.HTTPConnection("127.0.0.1", int(port)); c.connect(); break
        except OSError:
            time.sleep(0.05)
    # two sessions of the one endpoint, each on its own keep-alive connection
    for _ in range(2):
        c = http.client.HTTPConnection("127.0.0.1", int(port))
        session = None
        for m in msgs:
            h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
            if session: h["Mcp-Session-Id"] = session; h["MCP-Protocol-Version"] = "2025-06-18"
            c.request("POST", "/mcp", body=json.dumps(m), headers=h)
            r = c.getresponse()
            session = session or r.getheader("mcp-session-id")
            body = r.read().decode()
            for line in body.splitlines():
                if line.startswith("data: "): got.append(json.loads(line[6:]))
            if body.startswith("{"): got.append(json.loads(body))
        c.close()
        sessions.append(session)
    p.terminate(); p.wait(timeout=20)
open(log, "w").write(json.dumps({"got": got, "sessions": sessions}))
`;

for (const transport of ["stdio", "http"] as const) {
  Deno.test({
    name:
      `${transport}: a later tools/call's secret arguments are masked in ipc.arrow, the call is analysed`,
    ignore: skipWithoutRoot(),
    fn: () =>
      captureWithLog(
        [
          "/usr/bin/python3",
          "-c",
          CLIENT_PY,
          MCP_SERVER_BINS.everything,
          transport === "stdio" ? "stdio" : String(20_000 + Math.floor(Math.random() * 20_000)),
        ],
        async ({ res, rec, logPath }) => {
          const { got, sessions }: {
            got: { result: { content: { text: string }[] } }[];
            sessions: string[];
          } = JSON
            .parse(await Deno.readTextFile(logPath));
          assert.equal(got.at(-1)!.result.content[0].text, "Echo: hello", "the server answered");
          // every row's bytes, as written to ipc.arrow (read back from it)
          const text = rec.ipc.map((r) => new TextDecoder("latin1").decode(r.data)).join("\n");
          assert.ok(rec.ipc.every((r) => r.lost === 0n && !r.truncated), "nothing lost or cut");
          assert.ok(text.includes('"api_key":"'), "the call is in ipc.arrow");
          for (const secret of [API_KEY, TOKEN, API_KEY.slice(0, 12), TOKEN.slice(-8)]) {
            assert.ok(!text.includes(secret), `no ${secret} in ipc.arrow`);
          }
          // the session ids: not in any file of the recording; in their place a keyed digest
          // of each (the capture's key, in memory only), so the two sessions stay two
          const ids = new Set(sessions);
          assert.equal(ids.size, transport === "http" ? 2 : 0, "two sessions, two ids");
          for (const id of ids) {
            assert.ok(id.length >= 16, id);
            for (const f of Deno.readDirSync(res.dir)) {
              if (!f.isFile) continue;
              const bytes = new TextDecoder("latin1").decode(
                Deno.readFileSync(`${res.dir}/${f.name}`),
              );
              assert.ok(
                !bytes.includes(id) && !bytes.includes(id.slice(0, 12)),
                `${id} in ${f.name}`,
              );
            }
          }
          const s = await analyzeRecording(res.dir, prices, { quiet: true });
          const digests = (await checkRows(s.db, "mcp_session_ids"))
            .map((m) => m.mcp_session_id).filter((v) => v !== null);
          assert.deepEqual(
            [...new Set(digests)].map((d) => String(d).length).sort(),
            [...ids].map((id) => id.length).sort(),
            "as many session ids as sessions, each its id's length",
          );
          for (const d of digests) assert.match(String(d), /^[\x21-\x7e]+$/);
          const calls = await checkRows(s.db, "mcp_calls_linked");
          assert.equal(calls.length, transport === "http" ? 2 : 1, show(calls));
          for (const call of calls) {
            assert.equal(call.transport, transport);
            assert.equal(call.tool, "echo");
            assert.deepEqual(JSON.parse(String(call.args)), {
              message: "hello",
              api_key: "*".repeat(API_KEY.length),
              opts: { token: "*".repeat(TOKEN.length) },
            });
            assert.ok(String(call.result).includes("Echo: hello"));
          }
        },
      ),
  });
}
