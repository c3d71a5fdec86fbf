/**
 * `capture --pid` joining a real agent mid-session, as a user attaches to an agent already at
 * work (real eBPF): Claude Code (Bun, BoringSSL inside its binary) and Codex (Rust: OpenSSL,
 * aws-lc and ring inside its binary), each configured with server-everything over streamable
 * HTTP on loopback, run a shell command that waits; only then does the capture join the agent's
 * process tree. The agent's TLS is in code it mapped before the capture joined, which no gate
 * report names: the capture hooks what the joined processes have mapped (attach report
 * `seenBy` `running`), whose run-time check sees plaintext (a joined WebSocket's masked frames
 * are not ciphertext). After the join the agent asks its model again and calls the server's
 * `echo` tool: the analysis finds that LLM call and its tool call, the `tools/call` with its
 * arguments and result linked to the tool call, and says the session's `initialize` was not
 * seen (a `gap` problem), never an empty table. Codex in its default transport speaks to its
 * model over a WebSocket it opened before the join: that connection's frames, past an upgrade
 * the recording lacks, are read from the first one (websocket_joined.ts). When the server
 * agreed compression without context takeover every message after the join is read whole, the
 * echo call among them; with context takeover (the default) the messages that copy from
 * before the join are damaged: a problem counts them, as the table of messages does, and no
 * call is made up from them.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runAgent } from "../agents/mod.ts";
import type { AgentName, CodexTransport } from "../agents/agent_profile.ts";
import type { WebSocketCompression } from "../simulator/mod.ts";

import { parseScenario } from "../simulator/mod.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { checkRows, show } from "./check_queries.ts";
import { prices } from "../../analysis/testing.ts";
import { CAPTURE_MAIN } from "../../capture/command_line.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ms: number, ok: () => boolean | Promise<boolean>) {
  const until = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`gave up waiting ${ms} ms for ${what}`);
    await sleep(100);
  }
}

const exists = (p: string) => {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
};

// Codex over HTTP with server-sent events (`--transport http`), and in its default transport:
// a WebSocket opened before the join, whose upgrade a join misses (said), its messages
// compressed with context takeover (the default) or without
const CASES: {
  agent: AgentName;
  transport?: CodexTransport;
  compression?: WebSocketCompression;
}[] = [
  { agent: "claude" },
  { agent: "codex", transport: "http" },
  { agent: "codex", transport: "websocket" },
  { agent: "codex", transport: "websocket", compression: "no-context-takeover" },
];

for (const { agent, transport, compression } of CASES) {
  Deno.test({
    name: `${agent}${transport ? ` (${transport}${compression ? `, ${compression}` : ""})` : ""}` +
      ": capture --pid joins it mid-session: its TLS, its MCP call, the gap said",
    ignore: skipWithoutRoot(),
    async fn() {
      const tmp = await Deno.makeTempDir({ prefix: `sl-midsession-${agent}-` });
      const workdir = join(tmp, "work");
      const gate = join(workdir, "gate");
      await Deno.mkdir(gate, { recursive: true });
      const rec = join(tmp, "rec");
      const pidFile = join(tmp, "agent.pid");
      const scenario = parseScenario({
        name: "midsession",
        prompt: "Wait for the go-ahead, then echo a greeting through the ev MCP server.",
        mcpServers: { ev: { server: "everything", transport: "http" } },
        turns: [
          {
            text: "Waiting for the go-ahead.",
            tool: {
              run: `touch ${gate}/waiting; while [ ! -e ${gate}/go ]; do sleep 0.1; done; ` +
                "echo go-ahead-given",
              description: "Wait for the go-ahead",
            },
          },
          { tool: { mcp: "ev", tool: "echo", args: { message: "hello after the join" } } },
          { text: "Done: {{tool_output}}" },
        ],
      });
      let capture: Deno.ChildProcess | undefined;
      try {
        // the agent's tree has a root whose pid the test learns: the wrapper execs it
        const running = runAgent({
          agent,
          scenario,
          workdir,
          transport,
          websocketCompression: compression,
          wrap: (argv) => ["/bin/bash", "-c", 'echo $$ > "$0"; exec "$@"', pidFile, ...argv],
          timeoutMs: 150_000,
        });
        await waitFor("the agent's waiting command", 90_000, () => exists(`${gate}/waiting`));
        const pid = Number(Deno.readTextFileSync(pidFile).trim());
        capture = new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "--quiet", CAPTURE_MAIN, "--quiet", "--out", rec, "--pid", `${pid}`],
          env: { SIGHTLINE_DEBUG: "1" },
          stdout: "null",
          stderr: "piped",
        }).spawn();
        // joined once what the processes had mapped is hooked (the capture's "preattached")
        let said = "";
        const lines = capture.stderr.pipeThrough(new TextDecoderStream()).getReader();
        await waitFor("the capture to join", 60_000, async () => {
          const { value, done } = await lines.read();
          if (done) throw new Error(`the capture ended before it joined: ${said.slice(-2000)}`);
          said += value;
          return said.includes(" preattached ");
        });
        const drain = (async () => {
          for (;;) {
            const { value, done } = await lines.read();
            if (done) return;
            said += value;
          }
        })();
        await Deno.writeTextFile(`${gate}/go`, "");
        const result = await running;
        assert.equal(result.exitCode, 0, result.stderr.slice(-2000));
        assert.deepEqual(result.serverErrors, []);
        // a --pid capture ends once the processes it follows have
        const ended = await Promise.race([capture.status, sleep(20_000).then(() => null)]);
        if (!ended) capture.kill("SIGINT");
        const status = await capture.status;
        await drain;
        assert.equal(status.code, 0, said.slice(-2000));

        const manifest = JSON.parse(await Deno.readTextFile(join(rec, "manifest.json")));
        assert.equal(manifest.mode, "pid");
        // what the running agent had mapped was hooked, the agent's own TLS among it, and the
        // hooks saw plaintext
        const joined = (manifest.attach.hooked as {
          path: string;
          seenBy: string;
          library?: string;
          checks?: { fn: string; state: string }[];
        }[]).filter((h) => h.seenBy === "running");
        assert.ok(
          joined.some((h) => (h.checks ?? []).some((c) => c.state === "verified")),
          `a hook on code mapped before the join saw plaintext: ${show(manifest.attach)}`,
        );

        const s = await analyzeRecording(rec, prices, { quiet: true });
        const problems = await checkRows(s.db, "problems");
        let echoCall: unknown;
        // over the WebSocket opened before the join, whose upgrade the recording lacks: read
        // from its first frame, what could not be read counted, said as such
        const damaged = transport === "websocket" && compression === undefined;
        if (transport === "websocket") {
          const counts = await checkRows(s.db, "ws_messages_joined");
          const side = (d: string) => counts.find((c) => c.direction === d) ?? {};
          const line = problems.map((p) => String(p.message)).find((m) =>
            m.startsWith(
              "WebSocket (its upgrade not recorded): read from its middle: it began before " +
                "the recording (a capture joined with --pid)",
            )
          );
          assert.ok(line, show(problems));
          assert.ok(
            line.endsWith(
              `client: ${side("client").read} message(s) recovered, ${
                side("client").damaged
              } damaged; server: ${side("server").read} message(s) recovered, ${
                side("server").damaged
              } damaged`,
            ),
            `${line} / ${show(counts)}`,
          );
          // every request read is a call, and no call is made up from what was not
          assert.equal(Number(side("client").calls), Number(side("client").creates), show(counts));
          assert.ok(
            !problems.some((p) => /malformed|skipped/.test(String(p.message))),
            show(problems),
          );
          if (damaged) {
            // the requests after the join copy the instructions and tools from the one before
            assert.ok(Number(side("client").damaged) > 0, show(counts));
          } else {
            assert.equal(Number(side("client").damaged) + Number(side("server").damaged), 0);
          }
        }
        if (!damaged) {
          // the model call after the join asked for echo, whose result the agent gave the
          // model in turn
          const calls = await checkRows(s.db, "llm_tool_calls_like", { pattern: "%echo%" });
          assert.equal(
            calls.length,
            1,
            `the LLM call asking for echo: ${show(calls)}; ${show(problems)}`,
          );
          assert.match(String(calls[0].result_text), /hello after the join/);
          echoCall = calls[0].tool_call_id;
        }
        const mcp = await checkRows(s.db, "mcp_calls_linked");
        assert.equal(mcp.length, 1, show(mcp));
        assert.equal(mcp[0].tool, "echo");
        assert.equal(mcp[0].transport, "http");
        assert.deepEqual(JSON.parse(String(mcp[0].args)), {
          message: "hello after the join",
        });
        assert.match(String(mcp[0].result), /hello after the join/);
        if (!damaged) assert.equal(mcp[0].tool_call_id, echoCall, "linked to the LLM tool call");
        // the session began before the capture: said, not left to an empty server name
        const gaps = problems.filter((p) =>
          p.kind === "gap" && String(p.message).includes("initialize")
        );
        assert.equal(gaps.length, 1, show(problems));
      } finally {
        try {
          capture?.kill("SIGKILL");
        } catch { /* ended */ }
        await capture?.status;
        await Deno.remove(tmp, { recursive: true }).catch(() => {});
      }
    },
  });
}
