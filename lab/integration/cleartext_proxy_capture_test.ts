/**
 * As root: an agent pointed at a model server in cleartext HTTP on the LAN (the scripted server
 * with `plainHttp` on 10.213.7.1, `tests/support/lan_address.ts`) on a machine where
 * `HTTPS_PROXY` is set, as companies set it for everything. Qwen Code and Gemini CLI (undici's
 * `ProxyAgent` / `EnvHttpProxyAgent`, installed from `HTTPS_PROXY` for every URL) then send
 * their `http://` calls through the proxy too, in a CONNECT tunnel: `CONNECT 10.213.7.1:PORT`,
 * the proxy's 200, then plain HTTP/1 inside (tinyproxy, `lab/agents/http_proxy.ts`).
 *
 * With the proxy on loopback the kernel side records the CONNECT and everything after it (it
 * stops only at a TLS record); the analysis reads the tunnel past the CONNECT: the calls as
 * without the proxy (`cleartext-http`, the prompt, the scripted answers, the tool call), the
 * endpoint the Host header inside the tunnel (the model server, never the proxy), the agent's
 * only connect the proxy, the API key masked, no problems. With the proxy on the LAN address,
 * what is recorded is the observed blind spot (`recording/blind_spots.ts` `proxy-elsewhere`):
 * the connect to the proxy, nothing of the calls, and no problems row claiming otherwise.
 */
import assert from "node:assert/strict";
import { runAgent, type RunAgentResult, startHttpProxy } from "../agents/mod.ts";
import { qwenLostOutput } from "../agents/testing.ts";
import { FAKE_KEYS } from "../agents/agent_profile.ts";
import type { AgentName } from "../agents/agent_profile.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { queryDb } from "../../analysis/analysed_db.ts";
import { assertScriptedAnswer, prices, scenarioExpectations } from "../../analysis/testing.ts";
import { captureCommand } from "../../capture/command_line.ts";
import { LAN_V4, withLanAddress } from "../../tests/support/lan_address.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const SCENARIO = `${ROOT}lab/scenarios/tool_marker.json`;
const PROMPT: string = JSON.parse(await Deno.readTextFile(SCENARIO)).prompt;

const RUNS: { agent: AgentName; provider: string; model: string; key: string }[] = [
  { agent: "qwen", provider: "openai-chat", model: "qwen3-coder-plus", key: FAKE_KEYS.openai },
  { agent: "gemini", provider: "gemini", model: "gemini-3.8-flash", key: FAKE_KEYS.gemini },
];

type Row = Record<string, unknown>;

/** Runs the agent under capture with `HTTPS_PROXY` a tinyproxy on `listen`, analysed. */
async function run(agent: AgentName, listen: string) {
  for (let attempt = 1;; attempt++) {
    const tmp = await Deno.makeTempDir({ prefix: `sl-cleartext-proxy-${agent}-` });
    const out = `${tmp}/rec`;
    const proxy = await startHttpProxy({ listen, hosts: {}, dir: tmp });
    let result: RunAgentResult;
    try {
      result = await runAgent({
        agent,
        plainHttp: true,
        hostname: LAN_V4,
        scenario: SCENARIO,
        env: { HTTPS_PROXY: proxy.url },
        wrap: (argv) => captureCommand(out, argv),
      });
    } finally {
      await proxy.close();
    }
    if (attempt < 3 && qwenLostOutput(result)) {
      console.warn(`qwen lost its command's output (Output: (empty)): run ${attempt + 1}`);
      continue;
    }
    assert.equal(result.exitCode, 0, result.stderr.slice(-1500));
    const s = await analyzeRecording(out, prices, { quiet: true });
    return {
      result,
      proxy,
      proxyLog: await proxy.log(),
      problems: s.problems,
      q: (sql: string): Promise<Row[]> => queryDb(s.db, sql),
    };
  }
}

for (const { agent, provider, model, key } of RUNS) {
  Deno.test({
    name: `${agent} with HTTPS_PROXY set, to a plain-HTTP model server on ${LAN_V4}: ` +
      "tunnelled through a loopback proxy, read; through a LAN proxy, not recorded",
    ignore: skipWithoutRoot(),
    fn: () =>
      withLanAddress(async () => {
        const want = scenarioExpectations(agent);
        // the proxy on loopback: the tunnel's cleartext is recorded and read
        const p = await run(agent, "127.0.0.1");
        const target = new RegExp(`CONNECT (${LAN_V4.replaceAll(".", "\\.")}:\\d+) HTTP`);
        const server = target.exec(p.proxyLog)?.[1];
        assert.ok(server, `the agent tunnelled its http:// calls: ${p.proxyLog}`);
        assert.deepEqual(p.problems, []);
        const calls = await p.q("SELECT * FROM llm_calls ORDER BY llm_call_id");
        const served = p.result.requests.filter((r) => r.method === "POST");
        assert.deepEqual(calls.map((c) => c.kind), served.map((r) => r.kind), "every call");
        assert.ok(calls.every((c) => c.transport === "cleartext-http" && c.provider === provider));
        const main = calls.filter((c) => c.kind === "main");
        assert.equal(main.length, want.length);
        main.forEach((c, i) => {
          assertScriptedAnswer(c as never, want[i]);
          assert.equal(c.model, model);
        });
        assert.ok(String(main[0].user_input).includes(PROMPT), "the prompt");
        const tools = await p.q("SELECT * FROM tool_calls");
        assert.equal(tools.length, 1);
        assert.equal(tools[0].name, want[0].tool!.name);
        assert.equal(tools[0].result_llm_call_id, main[1].llm_call_id);
        // the endpoint: the model server (Host inside the tunnel), not the proxy
        const hosts = await p.q(
          "SELECT DISTINCT e.host FROM llm_calls c JOIN http_exchanges e USING (recording, exchange_id)",
        );
        assert.deepEqual(hosts.map((h) => h.host), [server]);
        // the agent's connects: the proxy only
        const pids = [...new Set(calls.map((c) => c.pid))].join(", ");
        const connects = await p.q(
          `SELECT DISTINCT addr, port FROM net WHERE op = 'connect' AND pid IN (${pids}) ` +
            "AND family IN ('inet', 'inet6') AND port <> 53",
        );
        assert.deepEqual(connects.map((c) => [c.addr, c.port]), [["127.0.0.1", p.proxy.port]]);
        // the CONNECT recorded with its target; the key masked inside the tunnel too
        const writes = await p.q(
          "SELECT decode(data, 'replace') AS text FROM ipc WHERE kind = 'tcp' ORDER BY ts_ns",
        );
        assert.ok(String(writes[0].text).startsWith(`CONNECT ${server} HTTP/1.1\r\n`));
        assert.ok(writes.every((w) => !String(w.text).includes(key)), "the API key masked");
        const mcp = await p.q("SELECT count(*) AS n FROM mcp_messages");
        assert.equal(Number(mcp[0].n), 0);

        // the proxy on another machine: only the connect to it is recorded
        const lan = await run(agent, LAN_V4);
        assert.match(lan.proxyLog, target, "the agent tunnelled its calls");
        assert.deepEqual(lan.problems, []);
        assert.deepEqual(await lan.q("SELECT * FROM llm_calls"), []);
        assert.deepEqual(await lan.q("SELECT * FROM ipc WHERE kind = 'tcp'"), []);
        const lanConnects = await lan.q(
          "SELECT DISTINCT addr, port FROM net WHERE op = 'connect' " +
            "AND family IN ('inet', 'inet6') AND port <> 53",
        );
        assert.deepEqual(lanConnects.map((c) => [c.addr, c.port]), [[LAN_V4, lan.proxy.port]]);
        const spots = await lan.q(
          "SELECT spot_id FROM blind_spots WHERE spot_id = 'proxy-elsewhere'",
        );
        assert.equal(spots.length, 1, "the recording says what it cannot show");
      }),
  });
}
