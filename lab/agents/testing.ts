/**
 * For the profile tests: an agent set-up against a scripted server at https://127.0.0.1:4443
 * with the CA at /ca.pem and a fresh HOME, removed when the test is done.
 */
import type { AgentSetup } from "./agent_profile.ts";

export const TEST_SERVER: AgentSetup["server"] = {
  origin: "https://127.0.0.1:4443",
  url: "https://127.0.0.1:4443/v1",
  caCertPath: "/ca.pem",
};

/** Runs `fn` with a set-up (`extra` added) whose HOME is a new directory, removed after. */
export async function withAgentHome(
  extra: Partial<AgentSetup>,
  fn: (s: AgentSetup) => Promise<void>,
): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "sl-agent-home-" });
  try {
    await fn({ home, workdir: "/w", server: TEST_SERVER, ...extra });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}
