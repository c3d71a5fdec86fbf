/**
 * Records the MCP traffic of a real agent session as a test fixture: runs AGENT on SCENARIO
 * with every MCP server wrapped in `stdio_tap.ts`, then writes OUT (JSON lines of the tap: time,
 * server pid, direction, base64 bytes). `deno run -A lab/mcp_servers/record_fixture.ts AGENT
 * SCENARIO OUT`.
 */

import { filePath } from "../../kit/file_path.ts";
import { resolve } from "node:path";
import { runAgent } from "../agents/mod.ts";
import type { AgentName } from "../agents/agent_profile.ts";
import { loadScenario } from "../simulator/mod.ts";
import { MCP_SERVER_BINS } from "../agents/mcp_servers.ts";

const [agent, scenarioPath, outArg] = Deno.args;
const out = outArg && resolve(outArg);
if (!out) {
  console.error("usage: record_fixture.ts claude|gemini|codex SCENARIO OUT");
  Deno.exit(2);
}
const tap = filePath("./stdio_tap.ts", import.meta.url);
const scenario = await loadScenario(scenarioPath);
await Deno.writeTextFile(out, "");
const servers = Object.fromEntries(
  Object.entries(scenario.mcpServers ?? {}).map(([name, spec]) => {
    if (!("server" in spec) || spec.server === "poisoned") return [name, spec];
    const bin = MCP_SERVER_BINS[spec.server];
    const args = spec.args ??
      (spec.server === "filesystem" ? ["{{workdir}}"] : ["stdio"]);
    return [name, {
      command: Deno.execPath(),
      args: ["run", "-A", tap, out, "--", bin, ...args],
    }];
  }),
);
const r = await runAgent({
  agent: agent as AgentName,
  scenario: { ...scenario, mcpServers: servers },
  timeoutMs: 120_000,
});
console.log(`exit ${r.exitCode}; ${r.serverErrors.join("; ")}`);
console.log(r.stdout.slice(-300));
