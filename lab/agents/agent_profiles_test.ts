/** Tests for what each agent profile writes and sets: config files, environment, arguments. */

import assert from "node:assert/strict";
import { withAgentHome } from "./testing.ts";
import { agentBaseEnv } from "./agent_profile.ts";
import { claudeProfile } from "./claude_profile.ts";
import { CODEX_TS_MODEL, codexProfile, isCodexScriptCli } from "./codex_profile.ts";
import { geminiProfile } from "./gemini_profile.ts";
import { opencodeProfile } from "./opencode_profile.ts";
import { qwenProfile } from "./qwen_profile.ts";
import { copilotProfile } from "./copilot_profile.ts";
import { AGENT_NAMES } from "./agent_profile.ts";
import { PROFILES, RUNNERS } from "./run_agent.ts";
import type { McpServerConfig } from "./mcp_servers.ts";

Deno.test("codex: config.toml names the scripted provider, env trusts the CA", () =>
  withAgentHome({}, async (s) => {
    await codexProfile.prepareHome(s);
    const toml = await Deno.readTextFile(`${s.home}/.codex/config.toml`);
    assert.match(toml, /^model_provider = "sightline"$/m);
    assert.match(toml, /^base_url = "https:\/\/127\.0\.0\.1:4443\/v1"$/m);
    assert.match(toml, /^wire_api = "responses"$/m);
    assert.match(toml, /^env_key = "OPENAI_API_KEY"$/m);
    // its default transport, as for OpenAI itself: Responses over a WebSocket
    assert.match(toml, /^supports_websockets = true$/m);
    await codexProfile.prepareHome({ ...s, transport: "http" });
    assert.match(
      await Deno.readTextFile(`${s.home}/.codex/config.toml`),
      /^supports_websockets = false$/m,
    );
    const env = codexProfile.env(s);
    assert.equal(env.CODEX_HOME, `${s.home}/.codex`);
    assert.equal(env.CODEX_CA_CERTIFICATE, "/trust-bundle.pem");
    assert.equal(env.SSL_CERT_FILE, "/trust-bundle.pem");
    const args = codexProfile.args("do it", s);
    assert.deepEqual(args.slice(0, 3), [
      "exec",
      "--skip-git-repo-check",
      "--dangerously-bypass-approvals-and-sandbox",
    ]);
    assert.equal(args.at(-1), "do it");
  }));

/** An `@openai/codex` package laid out as npm installs it, with the files named. */
async function codexPackage(root: string, files: string[]): Promise<string> {
  const pkg = `${root}/node_modules/@openai/codex`;
  for (const f of ["package.json", "bin/codex.js", ...files]) {
    await Deno.mkdir(`${pkg}/${f.split("/").slice(0, -1).join("/")}`, { recursive: true });
    await Deno.writeTextFile(
      `${pkg}/${f}`,
      f === "package.json" ? JSON.stringify({ name: "@openai/codex" }) : "",
    );
  }
  await Deno.mkdir(`${root}/node_modules/.bin`, { recursive: true });
  await Deno.symlink("../@openai/codex/bin/codex.js", `${root}/node_modules/.bin/codex`);
  return `${root}/node_modules/.bin/codex`;
}

Deno.test("codex: the TypeScript CLI (0.1.x) is told apart by its package and driven its own way", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "codex-layouts-" });
  try {
    // 0.1.2505172129: dist/cli.js and the launcher that imports it (Rust only on CODEX_RUST=1)
    const ts = await codexPackage(`${tmp}/ts`, ["dist/cli.js", "bin/codex-linux-sandbox-x64"]);
    // 0.1.2505291658: the same plus `use-native`, so the launcher runs the Rust binary
    const native = await codexPackage(`${tmp}/native`, ["dist/cli.js", "bin/use-native"]);
    // from 0.2: a launcher alone (the binary in the platform package)
    const launcher = await codexPackage(`${tmp}/launcher`, []);
    assert.equal(isCodexScriptCli(ts), true);
    assert.equal(isCodexScriptCli(native), false);
    assert.equal(isCodexScriptCli(launcher), false);
    assert.equal(isCodexScriptCli(`${tmp}/missing`), false);
    assert.equal(isCodexScriptCli(undefined), false);
    await withAgentHome({ binary: ts }, async (s) => {
      await codexProfile.prepareHome(s);
      const config = JSON.parse(await Deno.readTextFile(`${s.home}/.codex/config.json`));
      assert.deepEqual(config, { model: CODEX_TS_MODEL, approvalMode: "full-auto" });
      const check = JSON.parse(await Deno.readTextFile(`${s.home}/.codex/update-check.json`));
      assert.ok(Date.now() - Date.parse(check.lastUpdateCheck) < 60_000);
      await assert.rejects(Deno.stat(`${s.home}/.codex/config.toml`));
      const env = codexProfile.env(s);
      assert.equal(env.OPENAI_BASE_URL, "https://127.0.0.1:4443/v1");
      assert.equal(env.NODE_EXTRA_CA_CERTS, "/trust-bundle.pem");
      assert.deepEqual(codexProfile.args("do it", s), [
        "-q",
        "-a",
        "full-auto",
        "--no-project-doc",
        "-m",
        CODEX_TS_MODEL,
        "do it",
      ]);
      // what it cannot do is refused in one line, not left out
      await assert.rejects(
        codexProfile.prepareHome({ ...s, provider: "azure" }),
        /TypeScript CLI \(0\.1\.x\) on OpenAI's API only/,
      );
      await assert.rejects(
        codexProfile.prepareHome({
          ...s,
          mcpServers: [{ name: "fs", transport: "stdio", command: "x", args: [], env: {} }],
        }),
        /no MCP client \(fs\)/,
      );
    });
    await withAgentHome({ binary: native }, async (s) => {
      await codexProfile.prepareHome(s);
      await Deno.stat(`${s.home}/.codex/config.toml`);
      assert.equal(codexProfile.args("do it", s)[0], "exec");
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("gemini: settings choose API-key auth with statistics, telemetry and updates off", () =>
  withAgentHome({}, async (s) => {
    await geminiProfile.prepareHome(s);
    const settings = JSON.parse(
      await Deno.readTextFile(`${s.home}/.gemini/settings.json`),
    );
    assert.equal(settings.security.auth.selectedType, "gemini-api-key");
    assert.equal(settings.privacy.usageStatisticsEnabled, false);
    assert.equal(settings.telemetry.enabled, false);
    assert.equal(settings.general.enableAutoUpdate, false);
    // the same choices in the flat layout that the first builds (0.1.x) read (they ignore the nested
    // keys and, with statistics on, die offline reaching play.googleapis.com)
    assert.equal(settings.selectedAuthType, settings.security.auth.selectedType);
    assert.equal(settings.usageStatisticsEnabled, false);
    const env = geminiProfile.env(s);
    assert.equal(env.GOOGLE_GEMINI_BASE_URL, "https://127.0.0.1:4443");
    assert.equal(env.GEMINI_CLI_TRUST_WORKSPACE, "true");
    assert.equal(env.NODE_EXTRA_CA_CERTS, "/trust-bundle.pem");
    assert.deepEqual(geminiProfile.args("p", s), ["-p", "p", "--yolo"]);
  }));

Deno.test("claude: onboarding done, traffic and telemetry off, permissions skipped as root", () =>
  withAgentHome({}, async (s) => {
    await claudeProfile.prepareHome(s);
    assert.equal(
      JSON.parse(await Deno.readTextFile(`${s.home}/.claude.json`))
        .hasCompletedOnboarding,
      true,
    );
    const env = claudeProfile.env(s);
    assert.equal(env.ANTHROPIC_BASE_URL, "https://127.0.0.1:4443");
    assert.equal(env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC, "1");
    assert.equal(env.IS_SANDBOX, "1");
    assert.deepEqual(claudeProfile.args("p", { ...s, model: "claude-x" }), [
      "-p",
      "p",
      "--allowedTools",
      "Bash,Read,Write",
      "--dangerously-skip-permissions",
      "--model",
      "claude-x",
    ]);
  }));

Deno.test(
  "claude, gemini, qwen in their terminal UI: the same tools and approvals, no prompt; " +
    "Claude Code's first questions answered",
  () =>
    withAgentHome({}, async (s) => {
      await claudeProfile.prepareHome(s);
      const plain = JSON.parse(await Deno.readTextFile(`${s.home}/.claude.json`));
      assert.equal(plain.projects, undefined, "no project entry unless its terminal UI is driven");
      await claudeProfile.prepareHome({ ...s, interactive: true });
      const cfg = JSON.parse(await Deno.readTextFile(`${s.home}/.claude.json`));
      assert.deepEqual(cfg.customApiKeyResponses.approved, [
        claudeProfile.env(s).ANTHROPIC_API_KEY.slice(-20),
      ]);
      assert.equal(cfg.projects[s.workdir].hasTrustDialogAccepted, true);
      assert.equal(claudeProfile.env(s).CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL, "1");
      for (const p of [claudeProfile, geminiProfile, qwenProfile]) {
        assert.deepEqual(["-p", "p", ...p.interactiveArgs!(s)], p.args("p", s), p.name);
      }
      assert.equal(codexProfile.interactiveArgs, undefined);
    }),
);

Deno.test("opencode: the anthropic provider points at the server, nothing asks or updates", () =>
  withAgentHome({}, async (s) => {
    await opencodeProfile.prepareHome(s);
    const cfg = JSON.parse(
      await Deno.readTextFile(`${s.home}/.config/opencode/opencode.json`),
    );
    assert.equal(
      cfg.provider.anthropic.options.baseURL,
      "https://127.0.0.1:4443/v1",
    );
    assert.match(cfg.model, /^anthropic\//);
    // the model asked for is declared, for builds whose own list does not have it
    assert.deepEqual(Object.keys(cfg.provider.anthropic.models), [
      cfg.model.slice("anthropic/".length),
    ]);
    assert.deepEqual(cfg.permission, {
      edit: "allow",
      bash: "allow",
      webfetch: "allow",
    });
    assert.equal(cfg.autoupdate, false);
    const env = opencodeProfile.env(s);
    assert.equal(env.XDG_CONFIG_HOME, `${s.home}/.config`);
    assert.equal(env.OPENCODE_DISABLE_MODELS_FETCH, "1");
    assert.equal(env.NODE_EXTRA_CA_CERTS, "/trust-bundle.pem");
    assert.deepEqual(opencodeProfile.args("p", s), ["run", "p"]);
  }));

Deno.test("qwen: OpenAI-compatible endpoint, memory extraction and statistics off", () =>
  withAgentHome({}, async (s) => {
    await qwenProfile.prepareHome(s);
    const settings = JSON.parse(
      await Deno.readTextFile(`${s.home}/.qwen/settings.json`),
    );
    assert.equal(settings.security.auth.selectedType, "openai");
    assert.equal(settings.memory.enableManagedAutoMemory, false);
    assert.equal(settings.privacy.usageStatisticsEnabled, false);
    const env = qwenProfile.env(s);
    assert.equal(env.OPENAI_BASE_URL, "https://127.0.0.1:4443/v1");
    assert.equal(env.NODE_EXTRA_CA_CERTS, "/trust-bundle.pem");
    assert.deepEqual(qwenProfile.args("p", s), ["-p", "p", "--yolo"]);
  }));

Deno.test("qwen: a scenario's MCP servers in the settings, as Gemini CLI writes them and loaded", () =>
  withAgentHome({
    mcpServers: [
      { name: "fs", command: "/bin/fs", args: ["/w"], env: { A: "1" }, transport: "stdio" },
      {
        name: "ev",
        command: "",
        args: [],
        env: {},
        transport: "http",
        url: "http://127.0.0.1:9/mcp",
        headers: { Authorization: "Bearer t" },
      },
    ],
  }, async (s) => {
    assert.equal(qwenProfile.configuresMcp, true);
    await qwenProfile.prepareHome(s);
    const qwen = JSON.parse(await Deno.readTextFile(`${s.home}/.qwen/settings.json`));
    const fs = { command: "/bin/fs", args: ["/w"], env: { A: "1" }, trust: true };
    const ev = {
      httpUrl: "http://127.0.0.1:9/mcp",
      headers: { Authorization: "Bearer t" },
      trust: true,
    };
    // Qwen Code's own key: the tools offered directly, not behind its tool_search
    assert.deepEqual(qwen.mcpServers, {
      fs: { ...fs, alwaysLoadTools: true },
      ev: { ...ev, alwaysLoadTools: true },
    });
    await geminiProfile.prepareHome(s);
    const gemini = JSON.parse(await Deno.readTextFile(`${s.home}/.gemini/settings.json`));
    assert.deepEqual(gemini.mcpServers, { fs, ev });
  }));

Deno.test("claude on Bedrock and Vertex, codex on Azure: the clouds' settings, no API key", () =>
  withAgentHome({}, async (s) => {
    const bedrock = claudeProfile.env({ ...s, provider: "bedrock" });
    assert.equal(bedrock.CLAUDE_CODE_USE_BEDROCK, "1");
    assert.equal(bedrock.ANTHROPIC_BEDROCK_BASE_URL, "https://127.0.0.1:4443");
    assert.equal(bedrock.CLAUDE_CODE_SKIP_BEDROCK_AUTH, "1");
    assert.equal(bedrock.AWS_REGION, "us-east-1");
    const vertex = claudeProfile.env({ ...s, provider: "vertex" });
    assert.equal(vertex.CLAUDE_CODE_USE_VERTEX, "1");
    assert.equal(vertex.ANTHROPIC_VERTEX_BASE_URL, "https://127.0.0.1:4443/v1");
    assert.equal(vertex.CLAUDE_CODE_SKIP_VERTEX_AUTH, "1");
    assert.ok(vertex.ANTHROPIC_VERTEX_PROJECT_ID && vertex.CLOUD_ML_REGION);
    for (const e of [bedrock, vertex]) {
      assert.equal(e.ANTHROPIC_BASE_URL, undefined);
      assert.equal(e.ANTHROPIC_API_KEY, undefined);
      assert.equal(e.NODE_EXTRA_CA_CERTS, "/trust-bundle.pem");
    }
    await codexProfile.prepareHome({ ...s, provider: "azure" });
    const toml = await Deno.readTextFile(`${s.home}/.codex/config.toml`);
    assert.match(toml, /^base_url = "https:\/\/127\.0\.0\.1:4443\/openai"$/m);
    assert.match(toml, /^query_params = \{ api-version = "2025-04-01-preview" \}$/m);
    assert.match(toml, /^env_key = "AZURE_OPENAI_API_KEY"$/m);
    assert.match(toml, /^supports_websockets = false$/m);
    assert.ok(codexProfile.env({ ...s, provider: "azure" }).AZURE_OPENAI_API_KEY);
    assert.equal(codexProfile.env(s).AZURE_OPENAI_API_KEY, undefined);
  }));

Deno.test("agentBaseEnv: the caller's locale, PATH and time zone, never its keys", () => {
  const set = { LC_ALL: "C.UTF-8", TZ: "UTC", ANTHROPIC_API_KEY: "sk-real" };
  const before = Object.fromEntries(Object.keys(set).map((k) => [k, Deno.env.get(k)]));
  try {
    for (const [k, v] of Object.entries(set)) Deno.env.set(k, v);
    const env = agentBaseEnv();
    assert.equal(env.LC_ALL, "C.UTF-8");
    assert.equal(env.TZ, "UTC");
    assert.equal(env.TERM, "dumb");
    assert.ok(env.PATH);
    assert.equal(env.ANTHROPIC_API_KEY, undefined);
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  }
});

/** A stdio server and a streamable HTTP one, as resolveMcpServers gives them. */
const MCP_SERVERS: McpServerConfig[] = [
  {
    name: "fs",
    command: "/opt/mcp-server-filesystem",
    args: ["/w"],
    env: { A: "1" },
    transport: "stdio",
  },
  {
    name: "ev",
    command: "/opt/mcp-server-everything",
    args: ["streamableHttp"],
    env: {},
    transport: "http",
    port: 4000,
    url: "http://127.0.0.1:4000/mcp",
    headers: { "X-Test": "1" },
  },
];

Deno.test("qwen and opencode: a scenario's MCP servers in their own configuration", () =>
  withAgentHome({}, async (s) => {
    assert.equal(qwenProfile.configuresMcp, true);
    await qwenProfile.prepareHome({ ...s, mcpServers: MCP_SERVERS });
    const qwen = JSON.parse(await Deno.readTextFile(`${s.home}/.qwen/settings.json`));
    assert.deepEqual(qwen.mcpServers, {
      fs: {
        command: "/opt/mcp-server-filesystem",
        args: ["/w"],
        env: { A: "1" },
        trust: true,
        alwaysLoadTools: true,
      },
      ev: {
        httpUrl: "http://127.0.0.1:4000/mcp",
        headers: { "X-Test": "1" },
        trust: true,
        alwaysLoadTools: true,
      },
    });
    assert.equal(opencodeProfile.configuresMcp, true);
    await opencodeProfile.prepareHome({ ...s, mcpServers: MCP_SERVERS });
    const oc = JSON.parse(await Deno.readTextFile(`${s.home}/.config/opencode/opencode.json`));
    assert.deepEqual(oc.mcp, {
      fs: {
        type: "local",
        command: ["/opt/mcp-server-filesystem", "/w"],
        environment: { A: "1" },
        enabled: true,
      },
      ev: {
        type: "remote",
        url: "http://127.0.0.1:4000/mcp",
        headers: { "X-Test": "1" },
        enabled: true,
      },
    });
    // without servers, no key at all
    await opencodeProfile.prepareHome(s);
    const bare = JSON.parse(await Deno.readTextFile(`${s.home}/.config/opencode/opencode.json`));
    assert.equal("mcp" in bare, false);
  }));

Deno.test("copilot: offline with a custom provider (BYOK) at the server, MCP servers in mcp-config.json", () =>
  withAgentHome({}, async (s) => {
    const env = copilotProfile.env(s);
    assert.equal(env.HOME, s.home);
    assert.equal(env.COPILOT_OFFLINE, "true");
    assert.equal(env.COPILOT_AUTO_UPDATE, "false");
    assert.equal(env.COPILOT_PROVIDER_BASE_URL, "https://127.0.0.1:4443/v1");
    assert.equal(env.COPILOT_MODEL, "gpt-5.5");
    assert.equal(env.NODE_EXTRA_CA_CERTS, "/trust-bundle.pem");
    assert.equal(env.SSL_CERT_FILE, "/trust-bundle.pem");
    assert.equal(copilotProfile.env({ ...s, model: "m" }).COPILOT_MODEL, "m");
    assert.deepEqual(copilotProfile.args("p", s), ["-p", "p", "--allow-all-tools"]);
    // no servers, no file
    await copilotProfile.prepareHome(s);
    await assert.rejects(Deno.stat(`${s.home}/.copilot/mcp-config.json`));
    await copilotProfile.prepareHome({ ...s, mcpServers: MCP_SERVERS });
    const cfg = JSON.parse(await Deno.readTextFile(`${s.home}/.copilot/mcp-config.json`));
    assert.deepEqual(cfg.mcpServers, {
      fs: {
        type: "local",
        command: "/opt/mcp-server-filesystem",
        args: ["/w"],
        env: { A: "1" },
        tools: ["*"],
      },
      ev: {
        type: "http",
        url: "http://127.0.0.1:4000/mcp",
        headers: { "X-Test": "1" },
        tools: ["*"],
      },
    });
  }));

Deno.test("copilot is run as an installed build only: not among the pinned agents CI loops over", () => {
  assert.equal(RUNNERS.copilot, copilotProfile);
  assert.equal("copilot" in PROFILES, false);
  assert.equal((AGENT_NAMES as readonly string[]).includes("copilot"), false);
});
