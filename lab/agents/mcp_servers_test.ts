/**
 * The MCP servers of a scenario become each agent's own configuration: Claude Code's
 * `--mcp-config` file (and tool search off, so the tools are offered directly), the Gemini CLI's
 * `mcpServers` in settings.json (trusted), Codex's `[mcp_servers.NAME]` tables.
 */

import assert from "node:assert/strict";
import { withAgentHome } from "./testing.ts";
import { claudeMcpConfigPath, claudeProfile } from "./claude_profile.ts";
import { codexProfile } from "./codex_profile.ts";
import { geminiProfile } from "./gemini_profile.ts";
import {
  checkMcpServersInstalled,
  httpLauncher,
  LAB_DIR,
  MCP_SERVER_BINS,
  resolveMcpServers,
} from "./mcp_servers.ts";

const specs = {
  fs: { server: "filesystem" as const },
  notes: {
    server: "poisoned" as const,
    args: ["{{workdir}}/notes", "--stray", "/etc/hostname"],
  },
  own: {
    command: "/opt/x",
    args: ["--root", "{{workdir}}", "{{lab}}/mcp_servers/x"],
    env: { TOKEN: 't"q' },
  },
};

Deno.test("resolveMcpServers: pinned binaries, the lab's server under deno, {{workdir}} and {{lab}} filled", () => {
  const [fs, notes, own] = resolveMcpServers(specs, "/w");
  // {{lab}} is this checkout's lab directory, where the pinned servers are
  assert.equal(
    MCP_SERVER_BINS.everything,
    `${LAB_DIR}/mcp_servers/node_modules/.bin/mcp-server-everything`,
  );
  assert.deepEqual(fs, {
    name: "fs",
    command: MCP_SERVER_BINS.filesystem,
    args: ["/w"],
    env: {},
    transport: "stdio",
  });
  assert.equal(notes.command, Deno.execPath());
  assert.match(
    notes.args.join(" "),
    /poisoned_server\.ts \/w\/notes --stray \/etc\/hostname$/,
  );
  assert.deepEqual(own, {
    name: "own",
    command: "/opt/x",
    args: ["--root", "/w", `${LAB_DIR}/mcp_servers/x`],
    env: { TOKEN: 't"q' },
    transport: "stdio",
  });
  assert.deepEqual(resolveMcpServers(undefined, "/w"), []);
});

Deno.test("claude: --mcp-config file with the servers, strict, tool search off", () =>
  withAgentHome({ mcpServers: resolveMcpServers(specs, "/w") }, async (s) => {
    await claudeProfile.prepareHome(s);
    const cfg = JSON.parse(
      await Deno.readTextFile(claudeMcpConfigPath(s.home)),
    );
    assert.deepEqual(Object.keys(cfg.mcpServers), ["fs", "notes", "own"]);
    assert.deepEqual(cfg.mcpServers.own, {
      type: "stdio",
      command: "/opt/x",
      args: ["--root", "/w", `${LAB_DIR}/mcp_servers/x`],
      env: { TOKEN: 't"q' },
    });
    const args = claudeProfile.args("p", s);
    assert.deepEqual(args.slice(args.indexOf("--mcp-config")), [
      "--mcp-config",
      claudeMcpConfigPath(s.home),
      "--strict-mcp-config",
    ]);
    assert.equal(claudeProfile.env(s).ENABLE_TOOL_SEARCH, "false");
    assert.equal(
      claudeProfile.env({ ...s, mcpServers: [] }).ENABLE_TOOL_SEARCH,
      undefined,
    );
    assert.ok(
      !claudeProfile.args("p", { ...s, mcpServers: [] }).includes(
        "--mcp-config",
      ),
    );
  }));

Deno.test("gemini: settings.json mcpServers, trusted", () =>
  withAgentHome({ mcpServers: resolveMcpServers(specs, "/w") }, async (s) => {
    await geminiProfile.prepareHome(s);
    const settings = JSON.parse(
      await Deno.readTextFile(`${s.home}/.gemini/settings.json`),
    );
    assert.deepEqual(settings.mcpServers.fs, {
      command: MCP_SERVER_BINS.filesystem,
      args: ["/w"],
      env: {},
      trust: true,
    });
    assert.equal(
      settings.security.auth.selectedType,
      "gemini-api-key",
      "the rest is kept",
    );
  }));

Deno.test("codex: [mcp_servers.NAME] tables with TOML strings", () =>
  withAgentHome({ mcpServers: resolveMcpServers(specs, "/w") }, async (s) => {
    await codexProfile.prepareHome(s);
    const toml = await Deno.readTextFile(`${s.home}/.codex/config.toml`);
    assert.match(
      toml,
      /^\[mcp_servers\.fs\]\ncommand = ".*mcp-server-filesystem"\nargs = \["\/w"\]$/m,
    );
    assert.match(toml, /^\[mcp_servers\.own\.env\]\nTOKEN = "t\\"q"$/m);
    // The provider table comes first, so the server tables do not land inside it.
    assert.ok(
      toml.indexOf("[model_providers.sightline]") <
        toml.indexOf("[mcp_servers.fs]"),
    );
  }));

const httpSpecs = {
  ev: {
    server: "everything" as const,
    transport: "http" as const,
    headers: { A: "b" },
  },
  old: { server: "everything" as const, transport: "sse" as const },
};

Deno.test("resolveMcpServers: everything over http and sse gets a free port and a URL", () => {
  const [ev, old] = resolveMcpServers(httpSpecs, "/w");
  assert.equal(ev.command, MCP_SERVER_BINS.everything);
  assert.deepEqual(ev.args, ["streamableHttp"]);
  assert.equal(ev.env.PORT, String(ev.port));
  assert.equal(ev.url, `http://127.0.0.1:${ev.port}/mcp`);
  assert.deepEqual(ev.headers, { A: "b" });
  assert.deepEqual(old.args, ["sse"]);
  assert.equal(old.url, `http://127.0.0.1:${old.port}/sse`);
  assert.notEqual(ev.port, old.port);
  assert.equal(
    httpLauncher(resolveMcpServers({ fs: { server: "filesystem" } }, "/w")),
    null,
  );
});

Deno.test("resolveMcpServers: a command over HTTP+SSE gets a port in PORT and the /sse URL", () => {
  const [sse] = resolveMcpServers({
    old: {
      command: "node",
      args: ["/opt/everything-0.6.2/dist/sse.js"],
      transport: "sse",
      headers: { A: "b" },
    },
  }, "/w");
  assert.equal(sse.command, "node");
  assert.deepEqual(sse.args, ["/opt/everything-0.6.2/dist/sse.js"]);
  assert.equal(sse.transport, "sse");
  assert.equal(sse.env.PORT, String(sse.port));
  assert.equal(sse.url, `http://127.0.0.1:${sse.port}/sse`);
  assert.deepEqual(sse.headers, { A: "b" });
  // the runner starts it beside the agent, as the everything server
  assert.match(httpLauncher([sse])!, /PORT=/);
});

Deno.test("resolveMcpServers: a remote server gets an https URL of its own, and h2 if asked", () => {
  const [plain, h2] = resolveMcpServers({
    ev: { server: "everything", transport: "http", remote: true },
    ev2: { server: "everything", transport: "http", remote: true, h2: true },
  }, "/w");
  assert.match(plain.url!, /^https:\/\/localhost:\d+\/mcp$/);
  assert.notEqual(Number(new URL(plain.url!).port), plain.port);
  assert.equal(plain.remote, true);
  assert.equal(plain.h2, undefined);
  assert.equal(h2.h2, true);
  assert.equal(httpLauncher([plain, h2]), null, "remote servers are not started beside the agent");
});

Deno.test("claude, gemini and codex: HTTP servers by URL and headers; codex refuses HTTP+SSE in one line", () =>
  withAgentHome(
    { mcpServers: resolveMcpServers(httpSpecs, "/w") },
    async (s) => {
      const [ev, old] = s.mcpServers!;
      await claudeProfile.prepareHome(s);
      const cfg = JSON.parse(
        await Deno.readTextFile(claudeMcpConfigPath(s.home)),
      );
      assert.deepEqual(cfg.mcpServers.ev, {
        type: "http",
        url: ev.url,
        headers: { A: "b" },
      });
      assert.deepEqual(cfg.mcpServers.old, {
        type: "sse",
        url: old.url,
        headers: {},
      });
      await geminiProfile.prepareHome(s);
      const settings = JSON.parse(
        await Deno.readTextFile(`${s.home}/.gemini/settings.json`),
      );
      assert.deepEqual(settings.mcpServers.ev, {
        httpUrl: ev.url,
        headers: { A: "b" },
        trust: true,
      });
      assert.deepEqual(settings.mcpServers.old, {
        url: old.url,
        headers: {},
        trust: true,
      });
      await assert.rejects(
        codexProfile.prepareHome(s),
        /^Error: codex: MCP over HTTP\+SSE is not something Codex speaks \(old\); use http/,
      );
      await codexProfile.prepareHome({ ...s, mcpServers: [ev] });
      const toml = await Deno.readTextFile(`${s.home}/.codex/config.toml`);
      const table = toml.slice(toml.indexOf("[mcp_servers.ev]"));
      assert.equal(
        table.trim(),
        [
          "[mcp_servers.ev]",
          `url = "${ev.url}"`,
          "[mcp_servers.ev.http_headers]",
          'A = "b"',
        ].join("\n"),
      );
    },
  ));

Deno.test("httpLauncher: starts the servers, waits until they listen, runs the agent, stops them", async () => {
  const [ev] = resolveMcpServers({ ev: httpSpecs.ev }, "/w");
  // a stand-in server on the same port (the launcher is about starting and stopping)
  const cfg = {
    ...ev,
    command: "/usr/bin/python3",
    args: ["-m", "http.server", "--bind", "127.0.0.1", String(ev.port)],
  };
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/l.sh`;
    await Deno.writeTextFile(script, httpLauncher([cfg])!);
    const out = await new Deno.Command("/bin/bash", {
      args: [
        script,
        "/bin/bash",
        "-c",
        `curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:${ev.port}/; exit 7`,
      ],
      stdout: "piped",
    }).output();
    assert.equal(
      new TextDecoder().decode(out.stdout),
      "200",
      "the server listened before the agent ran",
    );
    assert.equal(out.code, 7, "the agent's exit status");
    await assert.rejects(
      Deno.connect({ hostname: "127.0.0.1", port: ev.port! }),
      "stopped after",
    );
    // a server that never listens: one line, exit 3
    const never = { ...cfg, command: "/bin/sleep", args: ["60"] };
    await Deno.writeTextFile(
      script,
      httpLauncher([never])!.replace("seq 300", "seq 3").replace(
        "= 300",
        "= 3",
      ),
    );
    const bad = await new Deno.Command("/bin/bash", {
      args: [script, "/bin/true"],
      stderr: "piped",
    }).output();
    assert.equal(bad.code, 3);
    assert.match(
      new TextDecoder().decode(bad.stderr),
      /^MCP server ev: nothing listens on \d+ after 30 s\n$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkMcpServersInstalled: a command on PATH is there; a missing one is one line", async () => {
  const [node] = resolveMcpServers({ ev: { command: "sh", args: ["-c", "true"] } }, "/w");
  await checkMcpServersInstalled([node]);
  const [gone] = resolveMcpServers({ ev: { command: "no-such-mcp-server-xyz" } }, "/w");
  await assert.rejects(
    () => checkMcpServersInstalled([gone]),
    /^Error: MCP server ev: no-such-mcp-server-xyz is neither a file nor a command on PATH$/,
  );
  const [fs] = resolveMcpServers({ fs: { server: "filesystem" } }, "/w");
  await assert.rejects(
    () => checkMcpServersInstalled([{ ...fs, command: "/nonexistent/mcp-server-filesystem" }]),
    /neither a file nor a command on PATH/,
  );
});
