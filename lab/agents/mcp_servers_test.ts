/**
 * The MCP servers of a scenario become each agent's own configuration: Claude Code's
 * `--mcp-config` file (and tool search off, so the tools are offered directly), the Gemini CLI's
 * `mcpServers` in settings.json (trusted), Codex's `[mcp_servers.NAME]` tables.
 */

import assert from "node:assert/strict";
import type { AgentSetup } from "./agent_profile.ts";
import { claudeMcpConfigPath, claudeProfile } from "./claude_profile.ts";
import { codexProfile } from "./codex_profile.ts";
import { geminiProfile } from "./gemini_profile.ts";
import { MCP_SERVER_BINS, resolveMcpServers } from "./mcp_servers.ts";

const specs = {
  fs: { server: "filesystem" as const },
  notes: {
    server: "poisoned" as const,
    args: ["{{workdir}}/notes", "--stray", "/etc/hostname"],
  },
  own: {
    command: "/opt/x",
    args: ["--root", "{{workdir}}"],
    env: { TOKEN: 't"q' },
  },
};

async function setup(): Promise<AgentSetup> {
  const home = await Deno.makeTempDir();
  return {
    home,
    workdir: "/w",
    server: {
      origin: "https://127.0.0.1:1",
      url: "https://127.0.0.1:1/v1",
      caCertPath: "/ca",
    },
    mcpServers: resolveMcpServers(specs, "/w"),
  };
}

Deno.test("resolveMcpServers: pinned binaries, the lab's server under deno, {{workdir}} filled", () => {
  const [fs, notes, own] = resolveMcpServers(specs, "/w");
  assert.deepEqual(fs, {
    name: "fs",
    command: MCP_SERVER_BINS.filesystem,
    args: ["/w"],
    env: {},
  });
  assert.equal(notes.command, Deno.execPath());
  assert.match(
    notes.args.join(" "),
    /poisoned_server\.ts \/w\/notes --stray \/etc\/hostname$/,
  );
  assert.deepEqual(own, {
    name: "own",
    command: "/opt/x",
    args: ["--root", "/w"],
    env: { TOKEN: 't"q' },
  });
  assert.deepEqual(resolveMcpServers(undefined, "/w"), []);
});

Deno.test("claude: --mcp-config file with the servers, strict, tool search off", async () => {
  const s = await setup();
  try {
    await claudeProfile.prepareHome(s);
    const cfg = JSON.parse(
      await Deno.readTextFile(claudeMcpConfigPath(s.home)),
    );
    assert.deepEqual(Object.keys(cfg.mcpServers), ["fs", "notes", "own"]);
    assert.deepEqual(cfg.mcpServers.own, {
      type: "stdio",
      command: "/opt/x",
      args: ["--root", "/w"],
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
  } finally {
    await Deno.remove(s.home, { recursive: true });
  }
});

Deno.test("gemini: settings.json mcpServers, trusted", async () => {
  const s = await setup();
  try {
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
  } finally {
    await Deno.remove(s.home, { recursive: true });
  }
});

Deno.test("codex: [mcp_servers.NAME] tables with TOML strings", async () => {
  const s = await setup();
  try {
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
  } finally {
    await Deno.remove(s.home, { recursive: true });
  }
});
