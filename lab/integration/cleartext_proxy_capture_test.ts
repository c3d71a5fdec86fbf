/**
 * As root: an agent pointed at a model server in cleartext HTTP on the LAN (the scripted server
 * with `plainHttp` on 10.213.7.1, `tests/support/lan_address.ts`) on a machine whose proxy
 * variables are set, as companies set them for everything, to tinyproxy
 * (`lab/agents/http_proxy.ts`) on 127.0.0.1 or on the LAN address (a proxy on another machine
 * to the kernel side). Qwen Code and Gemini CLI (undici's `EnvHttpProxyAgent` / `ProxyAgent`,
 * installed from `HTTPS_PROXY` for every URL) send their `http://` calls through it in a
 * CONNECT tunnel: `CONNECT 10.213.7.1:PORT`, the proxy's 200, then plain HTTP/1 inside.
 * opencode (Bun's fetch) sends them, given `HTTP_PROXY`, to the proxy in absolute form:
 * `POST http://10.213.7.1:PORT/v1/messages` (its HTTPS through `HTTPS_PROXY`, CONNECT).
 *
 * The kernel side records the CONNECT and the cleartext after it (it stops only at a TLS
 * record), and a request in absolute form, on loopback or not; the analysis reads them: the
 * calls as without the proxy (`cleartext-http`, the prompt, the scripted answers, the tool
 * call), the endpoint the Host header (the model server, never the proxy), the agent's only
 * connect the proxy, the API key masked, no problems, nothing read as MCP.
 */
import assert from "node:assert/strict";
import { FAKE_KEYS } from "../agents/agent_profile.ts";
import type { AgentName } from "../agents/agent_profile.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { LAN_V4, withLanAddress } from "../../tests/support/lan_address.ts";
import {
  assertToolMarkerCalls,
  captureToolMarker,
  OPENCODE_EARLY_EXIT,
} from "./tool_marker_capture.ts";

const RUNS: {
  agent: AgentName;
  provider: string;
  model: string;
  key: string;
  /** the proxy variables the agent gets (its http:// calls go through the first) */
  vars: string[];
}[] = [
  {
    agent: "qwen",
    provider: "openai-chat",
    model: "qwen3-coder-plus",
    key: FAKE_KEYS.openai,
    vars: ["HTTPS_PROXY"],
  },
  {
    agent: "gemini",
    provider: "gemini",
    model: "gemini-3.8-flash",
    key: FAKE_KEYS.gemini,
    vars: ["HTTPS_PROXY"],
  },
  {
    agent: "opencode",
    provider: "anthropic",
    model: "claude-sonnet-4-5",
    key: FAKE_KEYS.anthropic,
    vars: ["HTTP_PROXY", "HTTPS_PROXY"],
  },
];

for (const { agent, provider, model, key, vars } of RUNS) {
  Deno.test({
    name: `${agent} with ${vars.join(", ")} set, to a plain-HTTP model server on ${LAN_V4}: ` +
      "through the proxy on loopback and on the LAN address, read",
    ignore: skipWithoutRoot(),
    fn: () =>
      withLanAddress(async () => {
        for (const listen of ["127.0.0.1", LAN_V4]) {
          const what = `${agent} via the proxy on ${listen}`;
          // its calls to the model server on the LAN address, through a proxy on `listen`
          const p = await captureToolMarker({
            agent,
            plainHttp: true,
            hostname: LAN_V4,
            proxy: { listen, hosts: {}, vars },
          });
          // how the calls went through the proxy: tunnelled (CONNECT) or in absolute form
          const lan = LAN_V4.replaceAll(".", "\\.");
          const how = new RegExp(`(CONNECT |POST http://)(${lan}:\\d+)[ /]`).exec(p.proxyLog);
          assert.ok(how, `${what}: the http:// calls went through the proxy: ${p.proxyLog}`);
          const server = how[2];
          assert.equal(how[1], vars[0] === "HTTPS_PROXY" ? "CONNECT " : "POST http://", what);
          // opencode may exit while a GET of its plugin packages' metadata (registry.npmjs.org,
          // HTTPS through the proxy) is still unanswered: said so, rightly; nothing else
          assert.deepEqual(
            p.problems.filter((x) => !(agent === "opencode" && OPENCODE_EARLY_EXIT.test(x))),
            [],
            what,
          );
          const { calls } = await assertToolMarkerCalls(p, agent, model, what);
          assert.ok(
            calls.every((c) => c.transport === "cleartext-http" && c.provider === provider),
            what,
          );
          // the endpoint: the model server (the Host header), not the proxy
          const hosts = await p.q("llm_call_endpoints");
          assert.deepEqual([...new Set(hosts.map((h) => h.host))], [server], what);
          assert.ok(hosts.every((h) => String(h.path).startsWith("/v1")), "origin-form paths");
          // the agent's connects: the proxy only
          const pids = [...new Set(calls.map((c) => String(c.pid)))];
          const connects = await p.q("internet_connects", { pids });
          assert.deepEqual(connects.map((c) => [c.addr, c.port]), [[listen, p.proxyPort]], what);
          // what went to the proxy is recorded, the key masked
          const writes = (await p.q("tcp_text", { pids })).filter((r) => r.direction === "write");
          const first = how[1] === "CONNECT "
            ? `CONNECT ${server} HTTP/1.1\r\n`
            : `POST http://${server}/`;
          assert.ok(writes.some((w) => String(w.text).startsWith(first)), `${what}: ${first}`);
          assert.ok(writes.every((w) => !String(w.text).includes(key)), `${what}: the key masked`);
          const mcp = await p.q("mcp_message_count");
          assert.equal(Number(mcp[0].n), 0, what);
        }
      }),
  });
}
