/**
 * An LLM call whose User-Agent names no agent (an SDK's or HTTP client's only) is named after
 * the program its process ran (sql/llm_call_agents.sql, macros.sql `program_name`): on two real
 * recordings (GitHub Copilot CLI 1.0.102, `OpenAI/JS 5.20.1`; Continue CLI 1.5.47,
 * `node-fetch`: tests/fixtures/generic_ua_*), and over hand-made process rows: a runtime's
 * script, a forked child, a reused pid, a call whose User-Agent named its agent; the lineage
 * followed past shells and runtimes with no script; java's jar, class or module; an npm
 * package's name over its bin's (a platform build's, a `.bin` link's).
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { DuckDBInstance } from "../kit/duckdb.ts";
import { queryRows } from "../kit/sql_runner.ts";
import { withDb } from "./analysed_db.ts";
import { REC, rows, syntheticDb } from "./correlate/testing.ts";
import { sqlText } from "./sql_files.ts";
import { analysedCopy } from "./testing.ts";
import { Build } from "./build_steps.ts";
import { unnamedAgentsProblem } from "./unnamed_agents.ts";
import { deepCallersProblem } from "./deep_forks.ts";

const ms = (x: number) => x * 1_000_000;

const FIXTURES = filePath("../tests/fixtures/", import.meta.url);

/** program_name(exe, argv, cwd) of each case. */
async function programNames(
  cases: [string | null, string[] | null, string?][],
): Promise<unknown[]> {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    await c.run(sqlText("macros"));
    const out = [];
    for (const [e, a, w] of cases) {
      const [r] = await queryRows(
        c,
        "SELECT program_name($e::VARCHAR, $a::VARCHAR[], $w::VARCHAR) AS n",
        { e, a, w: w ?? null },
      );
      out.push(r.n);
    }
    return out;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** The calls of an analysed recording by agent and User-Agent, with how many. */
function callsByAgent(c: Parameters<typeof queryRows>[0]) {
  return queryRows(
    c,
    `SELECT c.agent, (
        SELECT any_value(x[2]) FROM unnest(
          h.request_headers::VARCHAR[][]) AS u(x) WHERE lower(x[1]) = 'user-agent'
      ) AS ua, count(*)::INT AS n
     FROM llm_calls c JOIN http_exchanges h USING (recording, exchange_id)
     GROUP BY ALL`,
  );
}

Deno.test("program_name: a runtime's script, its npm package, python's module, or the executable", async () => {
  const cases: [string | null, string[] | null, string | null][] = [
    // as recorded: Continue CLI, Pi and Nanocoder run as node scripts through their .bin links
    [
      "/usr/bin/node",
      ["node", "/tmp/probe30/continue/node_modules/.bin/cn", "--config", "c.yaml"],
      "cn",
    ],
    ["/usr/bin/node", ["node", "/tmp/probe30/pi/node_modules/.bin/pi", "--provider", "x"], "pi"],
    // as recorded: GitHub Copilot CLI's own executable, in its platform package: the package
    // it is the platform's build of, as its script is named below
    [
      "/tmp/probe30/copilot/node_modules/@github/copilot-linux-x64/copilot",
      ["/tmp/probe30/copilot/node_modules/@github/copilot-linux-x64/copilot", "-p", "hi"],
      "@github/copilot",
    ],
    // a script inside a package: the package (scoped or not; the last node_modules)
    [
      "/usr/bin/node",
      ["node", "--require", "x.js", "/usr/lib/node_modules/@github/copilot/index.js", "-p", "x"],
      "@github/copilot",
    ],
    [
      "/usr/local/bin/node",
      ["node", "/r/node_modules/.pnpm/a@1/node_modules/some-agent/dist/cli.mjs"],
      "some-agent",
    ],
    // a `#!` script run directly: the kernel names the script, argv[0] is its interpreter
    ["/usr/local/bin/aider", ["/usr/bin/python3", "/usr/local/bin/aider", "--yes"], "aider"],
    ["/usr/bin/python3.12", ["python3", "-m", "kimi_cli", "--x"], "kimi_cli"],
    ["/usr/bin/python3.12", ["python3", "-W", "ignore", "agent.py"], "agent"],
    ["/usr/bin/python3", ["python3", "/opt/tool/__main__.py"], "tool"],
    ["/usr/bin/deno", ["deno", "run", "-A", "--config", "deno.json", "/w/agent.ts"], "agent"],
    ["/usr/bin/bun", ["bun", "run", "cli.ts"], "cli"],
    // code inline, or no script: the runtime
    ["/usr/bin/python3.12", ["python3", "-c", "import openai"], "python3.12"],
    ["/usr/bin/node", ["node", "-e", "fetch('https://x')"], "node"],
    ["/usr/bin/node", ["node"], "node"],
    ["/usr/bin/node", null, "node"],
    // a compiled program (opencode's bun executable, a Go or Rust one)
    ["/home/u/.opencode/bin/opencode", ["opencode", "run", "x"], "opencode"],
    [null, null, null],
  ];
  assert.deepEqual(
    await programNames(cases.map(([e, a]) => [e, a])),
    cases.map(([, , want]) => want),
  );
});

Deno.test("program_name: a generic script name (index, main, cli, __main__...) is named by its nearest meaningful directory; option values are no script (review31a S5, N1)", async () => {
  const cases: [string | null, string[] | null, string | null, string][] = [
    ["/usr/bin/node", ["node", "/home/u/myagent/dist/index.js"], "myagent", "/"],
    ["/usr/bin/node", ["node", "/home/u/proj/cli.js"], "proj", "/"],
    // relative: by the directory it was run in
    ["/usr/bin/deno", ["deno", "run", "-A", "main.ts"], "myagent", "/home/u/myagent"],
    ["/usr/bin/python3", ["python3", "main.py"], "tool", "/srv/tool/src"],
    ["/usr/bin/python3", ["python3", "__main__.py"], "pkg", "/opt/pkg"],
    ["/usr/bin/python3", ["python3", "/opt/pkg/agent/__main__.pyc"], "agent", "/"],
    ["/usr/bin/bun", ["bun", "run", "src/app.ts"], "svc", "/w/svc"],
    ["/usr/bin/node", ["node", "/srv/bot/bin/run"], "bot", "/"],
    // a name of its own is kept
    ["/usr/bin/node", ["node", "/home/u/proj/dist/my-agent.js"], "my-agent", "/"],
    // option values
    ["/usr/bin/node", ["node", "--max-old-space-size", "4096", "cli.js"], "proj", "/home/u/proj"],
    ["/usr/bin/node", ["node", "--stack-size", "4000", "/a/agent.js"], "agent", "/"],
    ["/usr/bin/node", ["node", "--localstorage-file", "/tmp/ls", "/a/agent.js"], "agent", "/"],
    ["/usr/bin/ruby", ["ruby", "-I", "lib", "bin/agent"], "agent", "/w"],
    ["/usr/bin/node", ["node", "--eval=fetch(1)", "arg"], "node", "/"],
    ["/usr/bin/python3", ["python3", "-mkimi_cli"], "kimi_cli", "/"],
    ["/usr/bin/deno", ["deno", "task", "agent"], "agent", "/"],
  ];
  assert.deepEqual(
    await programNames(cases.map(([e, a, , w]) => [e, a, w])),
    cases.map(([, , want]) => want),
  );
});

Deno.test("program_name: java's program is its jar, main class or module, not `java` (names32 gap 3)", async () => {
  const java = "/usr/lib/jvm/java-21-openjdk-amd64/bin/java";
  const cases: [string | null, string[] | null, string | null, string][] = [
    [
      java,
      ["java", "-Xmx2g", "-jar", "/opt/acme/acme-agent-1.2.0-all.jar", "--yes"],
      "acme-agent",
      "/",
    ],
    [java, ["java", "-Dx=y", "-jar", "tool.jar"], "tool", "/w"],
    // a generic jar name: its directory, as a script's
    [java, ["java", "-jar", "/opt/helper/lib/app.jar"], "helper", "/"],
    [
      java,
      ["java", "-cp", "lib/*:classes", "com.acme.agent.Main", "run"],
      "com.acme.agent.Main",
      "/w",
    ],
    [java, ["java", "-classpath", "a.jar", "-p", "mods", "Agent"], "Agent", "/w"],
    [java, ["java", "--module-path", "mods", "-m", "acme.agent/acme.agent.Cli"], "acme.agent", "/"],
    [java, ["java", "--module=acme.bot/acme.bot.Main"], "acme.bot", "/"],
    [java, ["java", "@opts.txt", "--source", "21", "Agent.java"], "Agent", "/w"],
    // `-p` and `-e` are no inline code of java's
    [java, ["java", "-p", "mods", "-jar", "x.jar"], "x", "/"],
    [java, ["java", "-version"], "java", "/"],
  ];
  assert.deepEqual(
    await programNames(cases.map(([e, a, , w]) => [e, a, w])),
    cases.map(([, , want]) => want),
  );
});

Deno.test("program_name: a program inside an npm package is the package, however it was run; a platform package is its package's (names32 gap 5)", async () => {
  const cases: [string | null, string[] | null, string | null][] = [
    // one agent, started as its native build or its script: one name
    [
      "/usr/lib/node_modules/@github/copilot/node_modules/@github/copilot-linux-x64/copilot",
      ["copilot", "-p", "x"],
      "@github/copilot",
    ],
    [
      "/usr/bin/node",
      ["node", "/usr/lib/node_modules/@github/copilot/npm-loader.js"],
      "@github/copilot",
    ],
    ["/r/node_modules/opencode-linux-x64-baseline/bin/opencode", ["opencode"], "opencode"],
    ["/r/node_modules/@acme/agent-linux-arm64-musl/agent", ["agent"], "@acme/agent"],
    ["/r/node_modules/acme-darwin-x64/bin/acme", ["acme"], "acme"],
    // a package of another program's, not a platform build: kept whole; so is one named after
    // an OS alone, with no cpu word (review32a S5)
    ["/r/node_modules/@vscode/ripgrep/bin/rg", ["rg"], "@vscode/ripgrep"],
    ["/r/node_modules/node-linux/bin/svc", ["svc"], "node-linux"],
    ["/r/node_modules/acme-android/cli", ["cli"], "acme-android"],
    // a package named by its platform alone keeps that name
    ["/r/node_modules/@esbuild/linux-x64/bin/esbuild", ["esbuild"], "@esbuild/linux-x64"],
    // a `.bin` link is the command's name; a program outside node_modules its file's
    ["/r/node_modules/.bin/acme", ["acme"], "acme"],
    ["/usr/local/bin/copilot", ["copilot"], "copilot"],
  ];
  assert.deepEqual(
    await programNames(cases.map(([e, a]) => [e, a])),
    cases.map(([, , want]) => want),
  );
});

/** The agents of each LLM call of `r`, by id, once the build steps have run. */
async function agents(r: Parameters<typeof syntheticDb>[0]): Promise<Record<string, unknown>> {
  const { c, close } = await syntheticDb(r);
  try {
    const out = await queryRows(
      c,
      "SELECT llm_call_id::INT AS id, agent FROM llm_calls ORDER BY llm_call_id",
    );
    return Object.fromEntries(out.map((x) => [String(x.id), x.agent]));
  } finally {
    close();
  }
}

Deno.test("llm_call_agents: a call its User-Agent did not name gets its process's program", async () => {
  const exec = rows.exec(10, 100, 1, ["node", "/x/node_modules/.bin/nanocoder"]);
  exec.filename = "/usr/bin/node";
  assert.deepEqual(
    await agents({
      process: [rows.fork(5, 100, 1), exec],
      llm: [
        rows.llm(1, 100, 1000, { agent: null }),
        // named by its User-Agent: kept
        rows.llm(2, 100, 2000, { agent: "claude-code" }),
      ],
    }),
    { 1: "nanocoder", 2: "claude-code" },
  );
});

Deno.test("llm_call_agents: the exec before the call; a forked child runs its parent's; a reused pid is nobody's", async () => {
  const agentExec = rows.exec(10, 100, 1, ["/opt/agent/bin/my-agent"]);
  const later = rows.exec(3000, 100, 1, ["/usr/bin/true"]);
  assert.deepEqual(
    await agents({
      process: [
        rows.fork(5, 100, 1),
        agentExec,
        later,
        // pid 200: forked by the agent, no exec (a worker)
        rows.fork(50, 200, 100),
        // pid 300: ran something, exited; the pid then makes a call (its fork not seen)
        rows.fork(5, 300, 1),
        rows.exec(10, 300, 1, ["/usr/bin/env"]),
        rows.exit(20, 300, 1),
      ],
      llm: [
        rows.llm(1, 100, 1000, { agent: null }),
        rows.llm(2, 100, 4000, { agent: null }),
        rows.llm(3, 200, 1000, { agent: null }),
        rows.llm(4, 300, 1000, { agent: null }),
        // nothing recorded of pid 400 (joined with --pid)
        rows.llm(5, 400, 1000, { agent: null }),
      ],
    }),
    { 1: "my-agent", 2: "true", 3: "my-agent", 4: null, 5: null },
  );
});

Deno.test("llm_call_agents: the lineage is followed up to the nearest program that names an agent, past forks, shells and runtimes with no script (names32 gap 2)", async () => {
  const node = (ts: number, pid: number, ppid: number, argv: string[]) => ({
    ...rows.exec(ts, pid, ppid, ["node", ...argv]),
    filename: "/usr/bin/node",
  });
  // a long line of workers forked from workers, none of which exec'd
  const chain = Array.from({ length: 20 }, (_, k) => rows.fork(200 + k, 1000 + k, 999 + k));
  assert.deepEqual(
    await agents({
      process: [
        // the agent: node running its package's script
        rows.fork(5, 100, 1),
        node(10, 100, 1, ["/opt/acme/node_modules/acme-agent/dist/cli.js"]),
        // it runs `sh -c 'node -e ...'`: the shell forks, its child execs node with code inline
        rows.fork(20, 200, 100),
        rows.exec(21, 200, 100, ["/bin/sh", "-c", "node -e 'run()'"]),
        rows.fork(30, 300, 200),
        node(31, 300, 200, ["-e", "run()"]),
        // that node forks a worker, which forks another (no exec)
        rows.fork(40, 400, 300),
        rows.fork(50, 500, 400),
        // the workers' line, from the agent
        { ...rows.fork(199, 999, 100) },
        ...chain,
        // inline code whose parent is not recorded: nothing names an agent, the nearest
        // program does
        node(60, 600, 77, ["-e", "x()"]),
        // a shell's child forked, its parent exited before: another process's pid
        rows.fork(70, 700, 200),
        rows.exit(80, 700, 200),
      ],
      llm: [
        rows.llm(1, 300, 1000, { agent: null }),
        rows.llm(2, 400, 1000, { agent: null }),
        rows.llm(3, 500, 1000, { agent: null }),
        rows.llm(4, 1019, 1000, { agent: null }),
        rows.llm(5, 600, 1000, { agent: null }),
        rows.llm(6, 700, 1000, { agent: null }),
        // the agent's own call, and its shell's (no program to skip to: the agent)
        rows.llm(7, 100, 1000, { agent: null }),
        rows.llm(8, 200, 1000, { agent: null }),
      ],
    }),
    {
      1: "acme-agent",
      2: "acme-agent",
      3: "acme-agent",
      4: "acme-agent",
      5: "node",
      6: null,
      7: "acme-agent",
      8: "acme-agent",
    },
  );
});

Deno.test("llm_call_agents: a `.bin` link is followed to its package, a script's by the file its process opened, a program's by the file the kernel ran (names32 gap 5)", async () => {
  const viaBin = {
    ...rows.exec(10, 100, 1, ["node", "/r/node_modules/.bin/acme"]),
    filename: "/usr/bin/node",
  };
  const nativeBin = {
    ...rows.exec(10, 200, 1, ["/r/node_modules/.bin/tool"]),
    exe: "/r/node_modules/@acme/tool-linux-x64/bin/tool",
  };
  // npx: its own link (npm's) is a command runner, what it runs is the program
  const npx = {
    ...rows.exec(10, 300, 1, ["node", "/usr/lib/node_modules/.bin/npx", "x"]),
    filename: "/usr/bin/node",
  };
  assert.deepEqual(
    await agents({
      process: [
        viaBin,
        nativeBin,
        npx,
        rows.fork(20, 301, 300),
        { ...rows.exec(21, 301, 300, ["node", "-e", "x()"]), filename: "/usr/bin/node" },
        // a link whose process opened nothing in its node_modules: the link's name
        {
          ...rows.exec(10, 400, 1, ["node", "/q/node_modules/.bin/other"]),
          filename: "/usr/bin/node",
        },
      ],
      file: [
        rows.open(11, 100, "/r/node_modules/.bin/acme", { ret: -2 }),
        rows.open(12, 100, "/r/node_modules/@acme/agent/dist/package.json", { ret: -2 }),
        rows.open(13, 100, "/r/node_modules/@acme/agent/package.json"),
        rows.open(14, 100, "/r/node_modules/zod/package.json"),
        rows.open(11, 300, "/usr/lib/node_modules/npm/bin/npx-cli.js"),
        rows.open(11, 400, "/q/config.json"),
      ],
      llm: [
        rows.llm(1, 100, 1000, { agent: null }),
        rows.llm(2, 200, 1000, { agent: null }),
        rows.llm(3, 301, 1000, { agent: null }),
        rows.llm(4, 400, 1000, { agent: null }),
      ],
    }),
    { 1: "@acme/agent", 2: "@acme/tool", 3: "node", 4: "other" },
  );
});

Deno.test("real recordings whose User-Agent is an SDK's: llm_calls, processes and sessions name the agent's program", async () => {
  for (
    const [fixture, ua, want] of [
      ["generic_ua_copilot", "OpenAI/JS 5.20.1", "@github/copilot"],
      // run as `node .../node_modules/.bin/cn`: the package its link points into
      ["generic_ua_continue", "node-fetch", "@continuedev/cli"],
    ]
  ) {
    const s = await analysedCopy(`${FIXTURES}${fixture}`, { prefix: "sl-agent-" });
    try {
      assert.deepEqual(s.problems, [], fixture);
      await withDb(s.db, async (c) => {
        const calls = await callsByAgent(c);
        assert.deepEqual(calls, [{ agent: want, ua, n: 3 }], fixture);
        const procs = await queryRows(
          c,
          "SELECT agent, agent_role FROM processes WHERE llm_calls > 0",
        );
        assert.deepEqual(procs, [{ agent: want, agent_role: "agent" }], fixture);
        const sessions = await queryRows(c, "SELECT agent FROM sessions");
        assert.deepEqual(sessions, [{ agent: want }], fixture);
      }, { readOnly: true });
    } finally {
      await Deno.remove(dirname(s.dir), { recursive: true });
    }
  }
});

Deno.test("the committed Ollama recording (its client library's User-Agent, ollama-js): its calls are named by their program, not by the library", async () => {
  const s = await analysedCopy(`${FIXTURES}ollama/lan_upload`, { prefix: "sl-agent-" });
  try {
    await withDb(s.db, async (c) => {
      const calls = await callsByAgent(c);
      assert.equal(calls.length, 1, JSON.stringify(calls));
      assert.match(String(calls[0].ua), /^ollama-js\//);
      assert.deepEqual({ agent: calls[0].agent, n: calls[0].n }, { agent: "ollama_agent", n: 4 });
      const sessions = await queryRows(c, "SELECT DISTINCT agent FROM sessions");
      assert.deepEqual(sessions, [{ agent: "ollama_agent" }]);
    }, { readOnly: true });
  } finally {
    await Deno.remove(dirname(s.dir), { recursive: true });
  }
});

Deno.test("llm_call_agents: a node script that links into a package is its package however installed (a global `npm i -g` link, a `.bin` link, run by its shebang or by node); a script of its own is not its first dependency's; a preload is not the program (review32a M1, S2)", async () => {
  const node = (ts: number, pid: number, argv: string[], cwd = "/w") => ({
    ...rows.exec(ts, pid, 1, ["node", ...argv]),
    filename: "/usr/bin/node",
    cwd,
  });
  // what node opens of a package it runs: its scope's package.json, then the file
  const opens = (ts: number, pid: number, pkgDir: string, main: string) => [
    rows.open(ts, pid, `${pkgDir}/dist/package.json`, { ret: -2 }),
    rows.open(ts + 1, pid, `${pkgDir}/package.json`),
    rows.open(ts + 2, pid, `${pkgDir}/${main}`),
  ];
  const global = "/usr/local/lib/node_modules/@continuedev/cli";
  assert.deepEqual(
    await agents({
      process: [
        // `cn -p x` after `npm i -g @continuedev/cli`: the kernel runs the link's shebang
        // (`#!/usr/bin/env node`), env runs node on the link
        rows.fork(5, 100, 1),
        {
          ...rows.exec(10, 100, 1, ["/usr/bin/env", "node", "/usr/local/bin/cn", "-p", "x"]),
          filename: "/usr/local/bin/cn",
          exe: "/usr/bin/env",
        },
        node(11, 100, ["/usr/local/bin/cn", "-p", "x"]),
        // the same run by node on the link, from another prefix (`/usr/bin/cn`, relative)
        node(10, 200, ["../bin/cn"], "/usr/lib"),
        // the local install's `.bin` link
        node(10, 300, ["/r/node_modules/.bin/cn"]),
        // a script of its own, in a directory that has dependencies: it opens itself first
        node(10, 400, ["/home/u/bot/agent.mjs"]),
        // a preload's package is loaded first (`node -r dotenv/config`, `--import=tsx/esm`)
        node(10, 500, [
          "-r",
          "dotenv/config",
          "--import=@acme/otel/register",
          "/r/node_modules/.bin/cn",
        ]),
      ],
      file: [
        rows.open(11, 100, "/tmp/bundle.pem"),
        ...opens(12, 100, global, "dist/cn.js"),
        ...opens(11, 200, "/usr/lib/node_modules/@continuedev/cli", "dist/cn.js"),
        ...opens(11, 300, "/r/node_modules/@continuedev/cli", "dist/cn.js"),
        rows.open(11, 400, "/home/u/bot/package.json", { ret: -2 }),
        rows.open(12, 400, "/home/u/bot/agent.mjs"),
        rows.open(13, 400, "/home/u/bot/node_modules/ollama/package.json"),
        rows.open(11, 500, "/r/node_modules/dotenv/package.json"),
        rows.open(12, 500, "/r/node_modules/dotenv/config.js"),
        rows.open(13, 500, "/r/node_modules/@acme/otel/register.mjs"),
        ...opens(14, 500, "/r/node_modules/@continuedev/cli", "dist/cn.js"),
      ],
      llm: [100, 200, 300, 400, 500].map((pid, k) => rows.llm(k + 1, pid, 1000, { agent: null })),
    }),
    {
      1: "@continuedev/cli",
      2: "@continuedev/cli",
      3: "@continuedev/cli",
      4: "agent",
      5: "@continuedev/cli",
    },
  );
});

Deno.test("llm_call_agents: a command runner is known by its executable, not by a script's name: `python3 script.py` or `env.py` is a program; `env`, a shell, npx are runners (review32a M2)", async () => {
  const py = (ts: number, pid: number, ppid: number, script: string) => ({
    ...rows.exec(ts, pid, ppid, ["python3", script]),
    filename: "/usr/bin/python3",
  });
  assert.deepEqual(
    await agents({
      process: [
        rows.fork(5, 100, 1),
        { ...rows.exec(10, 100, 1, ["make", "run"]), filename: "/usr/bin/make" },
        rows.fork(20, 200, 100),
        py(21, 200, 100, "/home/u/bot/script.py"),
        rows.fork(30, 300, 100),
        py(31, 300, 100, "/home/u/bot/env.py"),
        rows.fork(40, 400, 100),
        py(41, 400, 100, "/home/u/bot/time.py"),
        // the executables `env` and `sh`, and npm's npx script, run what they are given
        rows.fork(50, 500, 100),
        { ...rows.exec(51, 500, 100, ["env", "FOO=1", "sh", "-c", "x"]), filename: "/usr/bin/env" },
        rows.fork(52, 501, 500),
        { ...rows.exec(53, 501, 500, ["sh", "-c", "x"]), filename: "/bin/sh" },
        rows.fork(60, 600, 100),
        {
          ...rows.exec(61, 600, 100, ["node", "/usr/lib/node_modules/npm/bin/npx-cli.js", "y"]),
          filename: "/usr/bin/node",
        },
      ],
      llm: [
        rows.llm(1, 200, 1000, { agent: null }),
        rows.llm(2, 300, 1000, { agent: null }),
        rows.llm(3, 400, 1000, { agent: null }),
        rows.llm(4, 501, 1000, { agent: null }),
        rows.llm(5, 600, 1000, { agent: null }),
      ],
    }),
    { 1: "script", 2: "env", 3: "time", 4: "make", 5: "make" },
  );
});

Deno.test("llm_call_agents: the lineage goes through a pid's earlier program (an exec chain in one pid) and a fork's parent as at the fork (a child reparented to init), to 64 generations (review32a S1, S4)", async () => {
  const node = (ts: number, pid: number, ppid: number, argv: string[]) => ({
    ...rows.exec(ts, pid, ppid, ["node", ...argv]),
    filename: "/usr/bin/node",
  });
  // workers forked from workers, n deep below the agent's pid
  const line = (first: number, n: number) => [
    rows.exec(1, first, 1, ["/opt/acme/acme-agent"]),
    ...Array.from({ length: n }, (_, k) => rows.fork(10 + k, first + 1 + k, first + k)),
  ];
  assert.deepEqual(
    await agents({
      process: [
        // the agent execs `node -e` in its own pid
        rows.fork(5, 100, 1),
        rows.exec(10, 100, 1, ["/opt/acme/acme-agent"]),
        node(20, 100, 1, ["-e", "x()"]),
        // the agent runs `sh -c 'node -e ... &'`; the shell exits before its child's exec,
        // which the kernel then records with ppid 1
        rows.fork(5, 200, 1),
        rows.exec(10, 200, 1, ["/opt/acme/acme-agent"]),
        rows.fork(20, 210, 200),
        rows.exec(21, 210, 200, ["/bin/sh", "-c", "node -e 'x()' &"]),
        rows.fork(30, 220, 210),
        rows.exit(31, 210, 200),
        node(40, 220, 1, ["-e", "x()"]),
        // 64 generations from the agent are walked; the 65th is past the bound: unnamed
        ...line(1000, 64),
        ...line(2000, 65),
      ],
      llm: [
        rows.llm(1, 100, 1000, { agent: null }),
        rows.llm(2, 220, 1000, { agent: null }),
        rows.llm(3, 1064, 1000, { agent: null }),
        rows.llm(4, 2065, 1000, { agent: null }),
      ],
    }),
    { 1: "acme-agent", 2: "acme-agent", 3: "acme-agent", 4: null },
  );
});

Deno.test("llm_call_agents: a lineage deeper than the walk's 64 generations with no program that names an agent in them is a problem naming the process, not a silent name", async () => {
  // workers forked from workers, n deep below `first`, which ran `argv`
  const line = (first: number, n: number, argv = ["/opt/acme/acme-agent"]) => [
    rows.exec(1, first, 1, argv),
    ...Array.from({ length: n }, (_, k) => rows.fork(10 + k, first + 1 + k, first + k)),
  ];
  const { c, close } = await syntheticDb({
    process: [
      ...line(1000, 64),
      ...line(2000, 65),
      // 70 forks below a shell, the 70th execs the agent and forks the caller: the agent is
      // found one generation up, the walk goes on past 64 through the shell's forks, no problem
      ...line(3000, 70, ["/bin/sh"]),
      rows.exec(100, 3070, 3069, ["/opt/acme/acme-agent"]),
      rows.fork(101, 3071, 3070),
    ],
    llm: [
      rows.llm(1, 1064, 1000, { agent: null }),
      rows.llm(2, 2065, 1000, { agent: null }),
      rows.llm(3, 2065, 1100, { agent: null }),
      rows.llm(4, 3071, 1000, { agent: null }),
    ],
  });
  try {
    const named = await queryRows(
      c,
      "SELECT llm_call_id::INT AS id, agent FROM llm_calls ORDER BY llm_call_id",
    );
    assert.deepEqual(named.map((x) => x.agent), ["acme-agent", null, null, "acme-agent"]);
    const b = new Build(c, REC);
    await deepCallersProblem(c, b, REC);
    assert.equal(b.problems.length, 1);
    const [p] = b.problems;
    assert.deepEqual([p.source, p.kind], ["llm_calls", "truncated"]);
    assert.match(p.message, /^2 LLM calls' agent may be misnamed \(pid 2065[^:]*: 2\): .*64 /);
  } finally {
    close();
  }
});

Deno.test("llm_call_agents: a process a --pid capture joined is named by its `joined` row (what /proc showed it ran), its forked worker too; with none, nobody's and a problem says why", async () => {
  /** the `joined` row of `pid`, at the capture's start (0): what it ran when joined */
  const joined = (pid: number, ppid: number, exe: string, argv: string[]) => ({
    ...rows.exec(0, pid, ppid, argv),
    kind: "joined",
    filename: exe,
    exe,
  });
  const recording = {
    process: [
      // the agent, a node script, joined; its worker forked before the join, joined too
      joined(100, 50, "/usr/bin/node", ["node", "/opt/acme/node_modules/.bin/acme-agent", "go"]),
      joined(101, 100, "/usr/bin/node", ["node", "/opt/acme/node_modules/.bin/acme-agent", "go"]),
      // a worker it forks after the join
      rows.fork(ms(1), 102, 100),
    ],
    llm: [
      rows.llm(1, 100, ms(10), { agent: null }),
      rows.llm(2, 101, ms(20), { agent: null }),
      rows.llm(3, 102, ms(30), { agent: null }),
      // a process of which nothing is recorded (a capture older than `joined` rows)
      rows.llm(4, 400, ms(40), { agent: null }),
      rows.llm(5, 400, ms(50), { agent: null }),
    ],
  };
  assert.deepEqual(await agents(recording), {
    1: "acme-agent",
    2: "acme-agent",
    3: "acme-agent",
    4: null,
    5: null,
  });
  // the unnamed calls are a problem naming their process and what to do
  const { c, close } = await syntheticDb(recording);
  try {
    const b = new Build(c, REC);
    await unnamedAgentsProblem(c, b, REC, "pid");
    assert.equal(b.problems.length, 1);
    const [p] = b.problems;
    assert.equal(p.source, "llm_calls");
    assert.equal(p.kind, "llm");
    assert.match(
      p.message,
      new RegExp(
        "^2 LLM calls name no agent \\(pid 400: 2\\): their User-Agent names none and no fork, " +
          "exec, exit or join of its process was recorded \\(running before the capture joined " +
          "with --pid, by a capture older than the `joined` process rows, or its process " +
          "records lost: see the capture problems\\); .* To name it, join it with a current " +
          "capture .* or capture the agent from its start \\(deno task capture -- CMD\\)$",
      ),
    );
    // a launched capture: nothing of a process recorded means its records were lost
    const launched = new Build(c, REC);
    await unnamedAgentsProblem(c, launched, REC, "command");
    assert.match(
      launched.problems[0].message,
      /and no fork, exec, exit or join of its process was recorded \(its process records lost or cut short: see the capture problems\);.* To name it, capture again with nothing lost/,
    );
    // and the processes table shows what the joined one ran
    assert.deepEqual(
      await queryRows(c, "SELECT pid, exe, argv[2] AS script FROM processes WHERE pid = 100"),
      [{ pid: 100, exe: "/usr/bin/node", script: "/opt/acme/node_modules/.bin/acme-agent" }],
    );
    // every call named: no problem
    const named = new Build(c, REC);
    await c.run("UPDATE llm_calls SET agent = 'x'");
    await unnamedAgentsProblem(c, named, REC, "pid");
    assert.deepEqual(named.problems, []);
  } finally {
    close();
  }
});

Deno.test("llm_call_agents: a joined node script is named by its link or its file, never by a module it loads after the join", async () => {
  const joined = (pid: number, argv: string[], cwd = "/w") => ({
    ...rows.exec(0, pid, 1, argv, cwd),
    kind: "joined",
    filename: "/usr/bin/node",
    exe: "/usr/bin/node",
  });
  const launched = (ts: number, pid: number, argv: string[]) => ({
    ...rows.exec(ts, pid, 1, argv),
    filename: "/usr/bin/node",
    exe: "/usr/bin/node",
  });
  const undici = "/usr/local/lib/node_modules/@continuedev/cli/node_modules/undici/lib/fetch.js";
  assert.deepEqual(
    await agents({
      process: [
        // Continue CLI's global link, joined: node loaded its script long before the join, so
        // the first module it opens after is one it requires lazily (undici), not its package
        joined(100, ["node", "/usr/local/bin/cn", "-p", "go"]),
        // the same program launched: node opens its package scope first
        launched(ms(1), 200, ["node", "/usr/local/bin/cn", "-p", "go"]),
        // a script of its own, joined, that then loads the SDK
        joined(300, ["node", "/home/u/agent.js"], "/home/u"),
      ],
      file: [
        rows.open(ms(2), 100, undici),
        rows.open(ms(2), 200, "/usr/local/lib/node_modules/@continuedev/cli/package.json"),
        rows.open(ms(3), 200, undici),
        rows.open(ms(2), 300, "/home/u/node_modules/openai/index.js"),
      ],
      llm: [
        rows.llm(1, 100, ms(10), { agent: null }),
        rows.llm(2, 200, ms(10), { agent: null }),
        rows.llm(3, 300, ms(10), { agent: null }),
      ],
    }),
    { 1: "cn", 2: "@continuedev/cli", 3: "agent" },
  );
});

Deno.test("unnamed agents: a process seen to fork from a parent of which nothing was recorded: the problem says its lineage breaks", async () => {
  const { c, close } = await syntheticDb({
    process: [rows.fork(ms(1), 500, 450)],
    llm: [rows.llm(1, 500, ms(10), { agent: null })],
  });
  try {
    const b = new Build(c, REC);
    await unnamedAgentsProblem(c, b, REC, "command");
    assert.deepEqual(b.problems.map((p) => p.message), [
      "1 LLM call names no agent (pid 500 proc: 1): their User-Agent names none and no program " +
      "of its process's lineage was recorded (it breaks at a process with no exec or join " +
      "recorded: its records lost, or a pid reused); agent is null in llm_calls, sessions and " +
      "processes. To name it, capture again with nothing lost (the capture problems say what was)",
    ]);
  } finally {
    close();
  }
});
