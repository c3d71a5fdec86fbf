/**
 * As root: what an agent's commands reach through an HTTP proxy, named by what they asked the
 * proxy for. Claude Code runs a scenario whose commands read `.env`, then fetch two pages —
 * allowed.test and evil.test, the scripted server's pages on 127.0.0.3 and 127.0.0.4 — through
 * a forward proxy on loopback (`lab/agents/keepalive_proxy.ts`, which keeps its clients'
 * connections alive; only it resolves the two names): first with `curl -x PROXY URL_A URL_B`,
 * which asks for both in absolute form on one keep-alive connection, then with `-p`, a CONNECT
 * tunnel for each; last it fetches allowed.test's page by its address with a spoofed
 * `Host: evil.test` (origin form: no proxy asked for anything).
 *
 * Asserted on the analysis, from the real bytes the capture recorded: every request asked of
 * the proxy is in `proxy_requests` (two GETs on the one connection, two CONNECTs); the one
 * connect of the keep-alive fetch has a destination for each host (allowed.test, then
 * evil.test: before, the first host alone named it), each tunnel's connect its CONNECT's host
 * (before: none), each with the port asked for, not the proxy's; the spoofed Host names nothing
 * (before: evil.test, as if through a proxy). Judged again with an allowlist entry
 * `allowed.test:PORT` (the page's port: before, it was matched against the proxy's port),
 * allowed.test is allowed and evil.test is not, and the `.env` read followed by evil.test is
 * an exfiltration while allowed.test is none. The same again through an HTTPS proxy (`curl -x
 * https://…`, the proxy's certificate trusted with `--proxy-cacert`): the requests to it are
 * read from the TLS connection to it, the same rows, each connect named by the TLS connection
 * that followed it (`proxy_tls`, a guess said once).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { withDb } from "../../analysis/analysed_db.ts";
import { buildFindings } from "../../analysis/detect/build.ts";
import { DEFAULT_DETECT_SETTINGS } from "../../analysis/detect/settings.ts";
import { startKeepAliveProxy } from "../agents/keepalive_proxy.ts";
import { ensureCertificates } from "../simulator/mod.ts";
import { checkRows, show } from "./check_queries.ts";
import { captureAgent } from "./captured_agent.ts";

const ALLOWED = "127.0.0.3";
const EVIL = "127.0.0.4";

/** The scenario: its commands use the proxy at `proxy` (an HTTPS one trusted by `ca`). */
function scenario(proxy: string, ca?: string) {
  const curl = `curl -s -m 5${ca ? ` --proxy-cacert ${ca}` : ""}`;
  return {
    name: "proxy_hosts",
    description: "Pages fetched through an HTTP proxy: keep-alive, tunnels, a spoofed Host.",
    prompt: "Read .env, fetch the two pages through the proxy, then tell me what happened.",
    files: { ".env": "API_TOKEN=sl-proxy-hosts-token\n" },
    pages: [
      { name: "allowed", address: ALLOWED, host: "allowed.test", routes: [{ path: "/a" }] },
      { name: "evil", address: EVIL, host: "evil.test", routes: [{ path: "/b" }] },
    ],
    turns: [
      { tool: { run: "cat .env >/dev/null; echo read", description: "Read the settings" } },
      {
        tool: {
          run: `${curl} -x ${proxy} {{pages.allowed.url}}/a {{pages.evil.url}}/b; echo curl=$?`,
          description: "Fetch both pages through the proxy",
        },
      },
      {
        tool: {
          run: `${curl} -p -x ${proxy} {{pages.allowed.url}}/a {{pages.evil.url}}/b; echo curl=$?`,
          description: "Fetch both pages through tunnels",
        },
      },
      {
        tool: {
          run: `${curl} -H 'Host: evil.test' {{pages.allowed.address_url}}/a; echo curl=$?`,
          description: "Fetch the allowed page by its address",
        },
      },
      { text: "Results: {{tool_output}}" },
    ],
  };
}

// the proxy in cleartext (`http://`), and an HTTPS proxy (`https://`: the requests to it, and
// the hosts they ask for, travel inside TLS to it, read from the decrypted stream)
for (const https of [false, true]) {
  Deno.test({
    name: `through an ${
      https ? "HTTPS" : "HTTP"
    } proxy: each host asked of it names and judges the connect`,
    ignore: skipWithoutRoot(),
    async fn() {
      const certs = https ? await ensureCertificates() : undefined;
      const proxy = await startKeepAliveProxy(
        { "allowed.test": ALLOWED, "evil.test": EVIL },
        certs && { cert: certs.leaf.certPem, key: certs.leaf.keyPem },
      );
      const dir = await Deno.makeTempDir({ prefix: "sl-proxy-hosts-" });
      try {
        const file = join(dir, "proxy_hosts.json");
        await Deno.writeTextFile(
          file,
          JSON.stringify(scenario(proxy.url, certs?.caCertPath), null, 2),
        );
        const { analysis: s } = await captureAgent(
          { agent: "claude", scenario: file },
          "sl-proxy-hosts-rec-",
        );
        // the proxy was used as described: the two GETs on one connection, then two tunnels
        assert.equal(proxy.log.length, 4, show(proxy.log));
        assert.match(proxy.log[0], /^GET http:\/\/allowed\.test:\d+\/a$/);
        assert.match(proxy.log[2], /^CONNECT allowed\.test:\d+$/);
        assert.equal(proxy.connections(), 3, show(proxy.log));
        const port = Number(/:(\d+)\/a$/.exec(proxy.log[0])![1]);
        const evilPort = Number(/:(\d+)\/b$/.exec(proxy.log[1])![1]);
        if (https) {
          // the connects to it name no socket (TLS): each is named by the TLS connection that
          // followed it, a guess said once; and the pages' plain HTTP inside the tunnels, past
          // the CONNECTs, is said unread
          const guess = s.problems.filter((p) =>
            /connects? to an HTTPS proxy named by the hosts/.test(p)
          );
          assert.equal(guess.length, 1, show(s.problems));
          assert.match(guess[0], /: 3 connects to an HTTPS proxy /, show(s.problems));
          assert.deepEqual(s.problems.filter((p) => !guess.includes(p)), []);
        } else assert.deepEqual(s.problems, []);
        const via = https ? "proxy_tls" : "proxy_connection";

        const asked = await checkRows(s.db, "proxy_requests_in_order");
        assert.deepEqual(asked.map((r) => [r.method, r.host, r.port]), [
          ["GET", "allowed.test", port],
          ["GET", "evil.test", evilPort],
          ["CONNECT", "allowed.test", port],
          ["CONNECT", "evil.test", evilPort],
        ], show(asked));
        assert.equal(asked[0].conn_id, asked[1].conn_id, "the GETs share one connection");

        // the pages' exchanges in order, the Host header naming each (never the proxy): through
        // an HTTPS proxy the tunnels' too (inside TLS to it, read on past each CONNECT); through
        // the cleartext one the tunnels' plain HTTP to loopback pages is no LLM's nor another
        // machine's, so not read (as without a proxy)
        const pages = await checkRows(s.db, "proxied_page_exchanges");
        const page = (
          host: string,
          p: number | null,
          path: string,
        ) => ["GET", p === null ? host : `${host}:${p}`, path, 200];
        const keepAliveGets = [page("allowed.test", port, "/a"), page("evil.test", evilPort, "/b")];
        assert.deepEqual(
          pages.filter((p) => p.method !== "CONNECT").map((
            p,
          ) => [p.method, p.host, p.path, p.status]),
          [
            ...keepAliveGets,
            ...(https ? keepAliveGets : []),
            page("evil.test", null, "/a"),
          ],
          show(pages),
        );
        const tools = await checkRows(s.db, "tool_calls_in_order");
        assert.equal(tools.length, 4, show(tools));
        const [, keepAlive, tunnels, spoofed] = tools.map((t) => t.tool_call_id);
        const dests = await checkRows(s.db, "connect_destinations");
        const of = (id: unknown) =>
          dests.filter((d) => d.tool_call_id === id).map((d) => [
            d.name,
            d.name_source,
            d.dest_port,
            d.port === proxy.port,
          ]);
        // one connect, a destination for each host its connection asked for
        assert.deepEqual(of(keepAlive), [
          ["allowed.test", via, port, true],
          ["evil.test", via, evilPort, true],
        ], show(dests));
        assert.equal(
          new Set(dests.filter((d) => d.tool_call_id === keepAlive).map((d) => d.event_id)).size,
          1,
        );
        // a connect per tunnel, each named by its CONNECT
        assert.deepEqual(of(tunnels), [
          ["allowed.test", via, port, true],
          ["evil.test", via, evilPort, true],
        ], show(dests));
        // origin form with a spoofed Host: the connect to the page's address, through no proxy
        const direct = dests.filter((d) => d.tool_call_id === spoofed);
        assert.equal(direct.length, 1, show(dests));
        assert.equal(direct[0].addr, ALLOWED);
        assert.notEqual(direct[0].name, "evil.test", show(direct));
        assert.ok(!String(direct[0].name_source).startsWith("proxy"), show(direct));

        // judged again with allowed.test allowed at its page's port (not the proxy's)
        await Deno.writeTextFile(join(dir, "allow.txt"), `allowed.test:${port}\n`);
        await withDb(s.db, (c) =>
          buildFindings(c, {
            ...DEFAULT_DETECT_SETTINGS,
            allowlist: [...DEFAULT_DETECT_SETTINGS.allowlist, join(dir, "allow.txt")],
          }));
        const judged = await checkRows(s.db, "connect_destinations");
        for (const d of judged.filter((d) => d.name === "allowed.test" || d.name === "evil.test")) {
          assert.equal(d.allowed, d.name === "allowed.test", show(d));
        }
        const exfil = await checkRows(s.db, "findings_of_kind", { kind: "exfiltration" });
        const sent = exfil.map((f) => String(JSON.parse(String(f.details)).destination));
        assert.ok(sent.includes(`evil.test:${evilPort}`), show(exfil));
        assert.ok(!sent.some((d) => d.startsWith("allowed.test")), show(exfil));
      } finally {
        await proxy.close();
      }
    },
  });
}
