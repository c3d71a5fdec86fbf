/**
 * The real agents, offline, against the scripted model server (no capture): a text
 * scenario, a tool scenario whose command really runs and whose output makes the round trip
 * back into the final answer, a write-and-read scenario, and a replay of the tool session's
 * saved transcript that makes a fresh agent run the same command again.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadScenario, parseTranscript } from "../simulator/mod.ts";
import type { AgentName } from "./agent_profile.ts";
import {
  runAgent,
  type RunAgentOptions,
  type RunAgentResult,
  RUNS_DIR,
  runsDirFor,
} from "./run_agent.ts";
import { qwenLostOutput } from "./testing.ts";

const SCENARIOS = fileURLToPath(
  new URL("../scenarios/", import.meta.url),
);

/** Tool names each agent offers, as the server saw them used. */
const TOOLS: Record<AgentName, { run: string; read: string; write: string }> = {
  claude: { run: "Bash", read: "Read", write: "Write" },
  gemini: { run: "run_shell_command", read: "read_file", write: "write_file" },
  codex: { run: "exec_command", read: "exec_command", write: "apply_patch" },
  opencode: { run: "bash", read: "read", write: "write" },
  qwen: { run: "run_shell_command", read: "read_file", write: "write_file" },
};

const PROVIDER: Record<AgentName, string> = {
  claude: "anthropic",
  gemini: "gemini",
  codex: "openai-responses",
  opencode: "anthropic",
  qwen: "openai-chat",
};

/** Runs an agent in a fresh working directory; the caller removes `workdir`. */
async function run(
  agent: AgentName,
  opts: Partial<RunAgentOptions>,
): Promise<RunAgentResult> {
  const workdir = await Deno.makeTempDir({
    prefix: `sightline-test-${agent}-`,
  });
  return await runAgent({ agent, workdir, timeoutMs: 90_000, ...opts });
}

/** Fails with everything needed to see why an agent run went wrong. */
function assertSucceeded(r: RunAgentResult): void {
  const why = () =>
    `exit ${r.exitCode} signal ${r.signal} timedOut ${r.timedOut}\nstdout: ${r.stdout}\n` +
    `stderr: ${r.stderr.slice(-3000)}\nserver problems: ${r.serverErrors.join("; ")}`;
  assert.equal(r.exitCode, 0, why());
  assert.deepEqual(r.serverErrors, [], why());
}

function mainRequests(r: RunAgentResult) {
  return r.requests.filter((q) => q.kind === "main");
}

/** `run`, made again (at most twice) when Qwen Code lost its command's output. */
async function runTool(
  agent: AgentName,
  opts: Partial<RunAgentOptions>,
  cleanup: string[],
): Promise<RunAgentResult> {
  for (let attempt = 1;; attempt++) {
    const r = await run(agent, opts);
    cleanup.push(r.workdir);
    if (attempt === 3 || !qwenLostOutput(r)) return r;
    console.error(
      `qwen: the agent lost its command's output (Output: (empty)); run ${attempt + 1}`,
    );
  }
}

for (
  const agent of ["claude", "gemini", "codex", "opencode", "qwen"] as const
) {
  Deno.test(`${agent}: text, tool, write/read and replay scenarios against the scripted server`, async (t) => {
    const cleanup: string[] = [];
    try {
      await t.step("text scenario", async () => {
        const r = await run(agent, { scenario: `${SCENARIOS}text_hello.json` });
        cleanup.push(r.workdir);
        assertSucceeded(r);
        assert.match(r.stdout, /Hello from the Sightline scripted model\./);
        const main = mainRequests(r);
        assert.equal(main.length, 1);
        assert.equal(main[0].provider, PROVIDER[agent]);
        assert.equal(main[0].turn, 0);
        assert.equal(main[0].status, 200);
        // Codex in its default transport: Responses over a WebSocket, warmed up first
        assert.equal(
          main[0].httpVersion,
          agent === "codex" ? "websocket" : "1.1",
        );
        if (agent === "codex") {
          assert.deepEqual(r.requests.map((q) => q.side ?? q.kind), [
            "warmup",
            "main",
          ]);
        }
        // The agent sent its key, and the log does not show it.
        const auth = main[0].headers["x-api-key"] ??
          main[0].headers["x-goog-api-key"] ??
          main[0].headers["authorization"];
        assert.equal(auth, "[redacted]");
      });

      let toolRun: RunAgentResult | undefined;
      await t.step(
        "tool scenario: the command runs and its output comes back",
        async () => {
          const r = await runTool(agent, {
            scenario: `${SCENARIOS}tool_marker.json`,
          }, cleanup);
          toolRun = r;
          assertSucceeded(r);
          const marker = (await Deno.readTextFile(`${r.workdir}/marker.txt`))
            .trim();
          assert.match(
            marker,
            /^token-[0-9a-f]{16}$/,
            "the command ran in the working directory",
          );
          assert.ok(
            r.stdout.includes(`The command printed: ${marker}`),
            `final answer lacks ${marker}: ${r.stdout}`,
          );
          const main = mainRequests(r);
          assert.deepEqual(main.map((q) => q.toolCalls), [
            [TOOLS[agent].run],
            [],
          ]);
          // The token reached the server inside the agent's tool result, not from the script.
          assert.ok(JSON.stringify(main[1].body).includes(marker));
          assert.ok(!JSON.stringify(main[0].body).includes(marker));
        },
      );

      await t.step("write and read scenario", async () => {
        const r = await run(agent, { scenario: `${SCENARIOS}read_write.json` });
        cleanup.push(r.workdir);
        assertSucceeded(r);
        assert.equal(
          await Deno.readTextFile(`${r.workdir}/out.txt`),
          "written by the scripted model\nsecond line\n",
        );
        // the tool's output, quoted (opencode's read tool numbers the lines it returns)
        assert.match(r.stdout, /I read: [^]*the input file says: 7 bananas/);
        assert.deepEqual(mainRequests(r).map((q) => q.toolCalls), [
          [TOOLS[agent].write],
          [TOOLS[agent].read],
          [],
        ]);
      });

      await t.step(
        "replay of the tool session repeats the same tool call",
        async () => {
          assert.ok(toolRun, "the tool scenario ran");
          const saved = parseTranscript(
            JSON.parse(JSON.stringify(toolRun.transcript)),
            "saved",
          );
          const oldMarker = (await Deno.readTextFile(`${toolRun.workdir}/marker.txt`)).trim();
          const r = await runTool(agent, {
            transcript: saved,
            prompt: (await loadScenario(`${SCENARIOS}tool_marker.json`)).prompt,
          }, cleanup);
          assertSucceeded(r);
          // The same command ran again, in the new directory, making a new token.
          const marker = (await Deno.readTextFile(`${r.workdir}/marker.txt`))
            .trim();
          assert.match(marker, /^token-[0-9a-f]{16}$/);
          assert.notEqual(marker, oldMarker);
          // The answers are the recorded ones: the final text quotes the old token.
          assert.match(
            r.stdout,
            new RegExp(`The command printed: ${oldMarker}`),
          );
          const main = mainRequests(r);
          assert.equal(main.length, 2);
          assert.ok(
            JSON.stringify(main[1].body).includes(marker),
            "new output sent back",
          );
          assert.equal(r.transcript.exchanges.length, saved.exchanges.length);
        },
      );
    } finally {
      for (const d of cleanup) {
        await Deno.remove(d, { recursive: true }).catch(() => {});
      }
    }
  });
}

Deno.test("a loop scenario repeats the tool call until its output says OK (claude)", async () => {
  const r = await run("claude", {
    scenario: `${SCENARIOS}retry_until_ok.json`,
  });
  try {
    assertSucceeded(r);
    assert.equal(await Deno.readTextFile(`${r.workdir}/tries`), "x\nx\nx\n");
    assert.match(r.stdout, /Finished: OK after 3 tries/);
    assert.deepEqual(mainRequests(r).map((q) => q.turn), [0, 0, 0, 1]);
  } finally {
    await Deno.remove(r.workdir, { recursive: true });
  }
});

Deno.test({
  name:
    "as root, runAs not-root starts Claude Code where it is not root; by default it runs as root",
  ignore: Deno.uid() !== 0,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-not-root-" });
    const scenario = `${dir}/whoami.json`;
    await Deno.writeTextFile(
      scenario,
      JSON.stringify({
        name: "whoami",
        prompt: "Which uid do your commands run as?",
        turns: [{ tool: { run: "id -u" } }, { text: "uid={{tool_output}}" }],
      }),
    );
    try {
      for (const runAs of ["not-root", undefined] as const) {
        const r = await run("claude", { scenario, runAs });
        try {
          assertSucceeded(r);
          // what its Bash tool's `id -u` printed, in its last answer
          const uid = r.stdout.match(/uid=(\d+)/)?.[1];
          assert.ok(uid !== undefined, `the answer gives the uid: ${r.stdout}`);
          if (runAs) {
            assert.equal(r.notRoot, true);
            assert.notEqual(uid, "0", r.stdout);
            assert.ok(r.argv.includes("unshare"), r.argv.join(" "));
          } else {
            assert.equal(r.notRoot, undefined);
            assert.equal(uid, "0", r.stdout);
            assert.ok(!r.argv.includes("unshare"), r.argv.join(" "));
          }
        } finally {
          await Deno.remove(r.workdir, { recursive: true });
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("pages on other loopback addresses, reached by name via the run's hosts file (codex)", async () => {
  const r = await run("codex", { scenario: `${SCENARIOS}docs_injection.json` });
  try {
    assertSucceeded(r);
    assert.deepEqual(
      r.pageRequests.docs.map((
        q,
      ) => [q.method, q.path, q.headers.host.split(":")[0]]),
      [
        ["GET", "/setup", "docs.example.test"],
      ],
    );
    assert.deepEqual(
      r.pageRequests.attacker.map((q) => [q.method, q.path, q.body]),
      [
        ["POST", "/upload", "API_TOKEN=not-a-real-token\n"],
      ],
    );
    assert.match(r.stdout, /the server answered ok\./);
    assert.equal(r.argv[0], "unshare");
    // The machine's own hosts file is untouched.
    assert.ok(
      !(await Deno.readTextFile("/etc/hosts")).includes("attacker.test"),
    );
  } finally {
    await Deno.remove(r.workdir, { recursive: true });
  }
});

Deno.test("wrap rewrites the command line, and --http1 servers still work (codex over HTTP)", async () => {
  const seen: string[][] = [];
  const r = await run("codex", {
    scenario: `${SCENARIOS}text_hello.json`,
    http1: true,
    transport: "http",
    wrap: (argv) => {
      seen.push(argv);
      return ["/usr/bin/env", "SIGHTLINE_WRAPPED=1", ...argv];
    },
  });
  try {
    assertSucceeded(r);
    assert.equal(seen.length, 1);
    assert.match(seen[0][0], /node_modules\/\.bin\/codex$/);
    assert.deepEqual(r.argv.slice(0, 2), [
      "/usr/bin/env",
      "SIGHTLINE_WRAPPED=1",
    ]);
    assert.equal(mainRequests(r)[0].httpVersion, "1.1");
    assert.match(r.stdout, /Hello from the Sightline scripted model\./);
  } finally {
    await Deno.remove(r.workdir, { recursive: true });
  }
});

Deno.test(
  "terminal: the driver gets the TUI's command line as wrapped, TERM, the prompt; its " +
    "end is the run's; an agent without a TUI profile is refused",
  async () => {
    const got: Parameters<NonNullable<RunAgentOptions["terminal"]>>[0][] = [];
    const r = await runAgent({
      agent: "gemini",
      scenario: `${SCENARIOS}text_hello.json`,
      model: "gemini-x",
      wrap: (argv) => ["/usr/bin/env", ...argv],
      terminal: (run) => {
        got.push(run);
        return Promise.resolve({ exitCode: 7, signal: null, output: "shown" });
      },
    });
    try {
      assert.equal(got.length, 1);
      assert.deepEqual(got[0].argv.slice(2), ["--yolo", "--model", "gemini-x"]);
      assert.equal(got[0].argv[0], "/usr/bin/env");
      assert.equal(got[0].env.TERM, "xterm-256color");
      assert.equal(got[0].cwd, r.workdir);
      assert.equal(got[0].prompt, (await loadScenario(`${SCENARIOS}text_hello.json`)).prompt);
      assert.equal(r.exitCode, 7);
      assert.equal(r.stdout, "shown");
    } finally {
      await Deno.remove(r.workdir, { recursive: true });
    }
    await assert.rejects(
      runAgent({
        agent: "codex",
        scenario: `${SCENARIOS}text_hello.json`,
        terminal: () => Promise.reject(new Error("not reached")),
      }),
      /codex: the runner does not drive its terminal UI/,
    );
  },
);

Deno.test("runsDirFor: a sandboxed run of a checkout under /tmp gets its HOME elsewhere", () => {
  // Codex's sandbox mounts a /tmp of its own: a HOME under /tmp would hide its helper
  assert.equal(runsDirFor(false, "/tmp/clone/.cache/agent-runs"), "/tmp/clone/.cache/agent-runs");
  assert.equal(runsDirFor(true, "/work/x/.cache/agent-runs"), "/work/x/.cache/agent-runs");
  const moved = runsDirFor(true, "/tmp/clone/.cache/agent-runs");
  assert.ok(!moved.startsWith("/tmp/"), moved);
});

Deno.test("a run kept for its HOME (keepHome) that fails leaves no run directory behind", async () => {
  // the caller never gets the directory of a run that threw: the runner removes it
  const ours = () =>
    new Set(
      [...Deno.readDirSync(RUNS_DIR)].map((e) => e.name).filter((n) => n.startsWith("copilot-")),
    );
  await Deno.mkdir(RUNS_DIR, { recursive: true });
  const before = ours();
  await assert.rejects(
    runAgent({
      agent: "copilot",
      binary: "/bin/true",
      scenario: await loadScenario(
        fileURLToPath(new URL("../scenarios/text_hello.json", import.meta.url)),
      ),
      keepHome: true,
      wrap: () => {
        throw new Error("the wrap failed");
      },
    }),
    /the wrap failed/,
  );
  assert.deepEqual([...ours()].filter((n) => !before.has(n)), []);
});
