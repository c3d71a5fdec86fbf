/**
 * Shared by the locator's tests: where the pinned agents are, and whether a test that needs
 * root (tracefs uprobes) may run. Such a test skips only when not root and CI is unset, and
 * says why; in CI (root) it always runs.
 */

import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CLAUDE_EXE = `${ROOT}lab/agents/node_modules/@anthropic-ai/claude-code/bin/claude.exe`;
export const CODEX_EXE =
  `${ROOT}lab/agents/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex`;

const isRoot = Deno.uid() === 0;
/** True when root-only tests must skip (not root, not CI). */
export const SKIP_NOT_ROOT = !isRoot && !Deno.env.get("CI");
if (SKIP_NOT_ROOT) {
  console.warn("capture/locate: uprobe tests skipped: they need root (tracefs uprobes)");
}

/** A fresh cache directory for one test. */
export function tempCacheDir(): Promise<string> {
  return Deno.makeTempDir({ prefix: "sl-locate-cache-" });
}
