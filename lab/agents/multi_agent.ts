/**
 * Runs several real agents at once in one shared workspace, each against its own scripted
 * model server and scenario, all started by one small shell launcher — so that one capture
 * (`wrap`, e.g. `underCapture(out)`) records the whole team: the launcher is the captured
 * command and every agent is its descendant. Each agent gets its own isolated HOME, its own
 * environment (the caller's keys never reach it), `timeout` as a bound, and its output in
 * files the runner reads back.
 */

import { writeTrustBundle } from "./trust_bundle.ts";
import { join, resolve } from "node:path";
import {
  hostsFile,
  loadScenario,
  type ModelServer,
  type RequestRecord,
  type Scenario,
  startModelServer,
  type Transcript,
} from "../simulator/mod.ts";
import { shQuote } from "../../kit/shell.ts";
import {
  agentBaseEnv,
  type AgentName,
  type AgentSetup,
  type CodexTransport,
} from "./agent_profile.ts";
import { withHostsFile } from "./hosts_namespace.ts";
import { PROFILES, RUNS_DIR } from "./run_agent.ts";

export interface TeamMember {
  /** A name for this member, unique in the team (default: the agent's name and position). */
  name?: string;
  agent: AgentName;
  /** Its scenario (parsed or a file path). */
  scenario: Scenario | string;
  /** Its prompt; default the scenario's. */
  prompt?: string;
  /** Codex: its transport (default DEFAULT_CODEX_TRANSPORT); other agents ignore it. */
  transport?: CodexTransport;
}

export interface RunTeamOptions {
  members: TeamMember[];
  /** The shared working directory; default a new temporary one (kept). */
  workdir?: string;
  /** Rewrites the launcher's command line, e.g. to run the whole team under capture. */
  wrap?: (argv: string[]) => string[];
  /** Each agent is stopped after this long; default 120 s. */
  timeoutMs?: number;
  /** Keep the run directory (HOMEs, launcher, outputs). */
  keepRunDir?: boolean;
}

export interface MemberResult {
  name: string;
  agent: AgentName;
  /** Exit code as the launcher saw it (124: stopped by the timeout); null if unknown. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  requests: RequestRecord[];
  serverErrors: string[];
  transcript: Transcript;
}

export interface RunTeamResult {
  workdir: string;
  /** The launcher's exit code (the first failing member's, else 0). */
  exitCode: number | null;
  /** The command line that ran (after `wrap`). */
  argv: string[];
  members: MemberResult[];
  /** stderr of the launcher (and of the capture around it) */
  stderr: string;
  elapsedMs: number;
}

export { shQuote };

/** What the launcher starts for one member. */
export interface LaunchSpec {
  /** its whole environment (nothing else is inherited) */
  env: Record<string, string>;
  argv: string[];
  /** files for its stdout, stderr and exit code */
  out: string;
  err: string;
  rc: string;
}

interface Prepared extends LaunchSpec {
  name: string;
  agent: AgentName;
  server: ModelServer;
}

/** The launcher script: starts every member at once, waits for all, records exit codes. */
export function launcherScript(
  workdir: string,
  members: LaunchSpec[],
  timeoutS: number,
): string {
  const lines = [
    "#!/bin/sh",
    "# Sightline team launcher: starts the agents at once in one workspace and waits for all.",
    `cd ${shQuote(workdir)} || exit 1`,
    "status=0",
  ];
  members.forEach((m, i) => {
    const env = Object.entries(m.env).map(([k, v]) => shQuote(`${k}=${v}`))
      .join(" ");
    lines.push(
      `timeout -k 5 ${timeoutS} env -i ${env} ${m.argv.map(shQuote).join(" ")} ` +
        `</dev/null >${shQuote(m.out)} 2>${shQuote(m.err)} &`,
      `p${i}=$!`,
    );
  });
  members.forEach((m, i) => {
    lines.push(
      `wait $p${i}; rc=$?; echo $rc >${shQuote(m.rc)}; [ $status -eq 0 ] && status=$rc`,
    );
  });
  lines.push("exit $status", "");
  return lines.join("\n");
}

const readOr = (path: string, fallback = "") => Deno.readTextFile(path).catch(() => fallback);

/** Runs the team; see {@linkcode RunTeamOptions}. */
export async function runTeam(opts: RunTeamOptions): Promise<RunTeamResult> {
  const t0 = performance.now();
  if (opts.members.length === 0) {
    throw new Error("runTeam: give at least one member");
  }
  await Deno.mkdir(RUNS_DIR, { recursive: true });
  const runDir = await Deno.makeTempDir({ dir: RUNS_DIR, prefix: "team-" });
  const workdir = resolve(
    opts.workdir ?? await Deno.makeTempDir({ prefix: "sightline-team-work-" }),
  );
  await Deno.mkdir(workdir, { recursive: true });
  const prepared: Prepared[] = [];
  const names = new Set<string>();
  try {
    for (const [i, m] of opts.members.entries()) {
      const name = m.name ?? `${m.agent}-${i + 1}`;
      if (names.has(name)) {
        throw new Error(`runTeam: two members are named ${name}`);
      }
      names.add(name);
      const scenario = typeof m.scenario === "string" ? await loadScenario(m.scenario) : m.scenario;
      const profile = PROFILES[m.agent];
      await Deno.stat(profile.binary).catch(() => {
        throw new Error(
          `${profile.binary} is missing: run scripts/setup.sh to install the agents`,
        );
      });
      const server = await startModelServer({ scenario, vars: { workdir } });
      const dir = join(runDir, name);
      const home = join(dir, "home");
      await Deno.mkdir(home, { recursive: true });
      prepared.push({
        name,
        agent: m.agent,
        server,
        env: {},
        argv: [],
        out: join(dir, "stdout"),
        err: join(dir, "stderr"),
        rc: join(dir, "rc"),
      });
      for (const [rel, content] of Object.entries(scenario.files ?? {})) {
        const path = join(workdir, rel);
        await Deno.mkdir(join(path, ".."), { recursive: true });
        if (typeof content === "string") await Deno.writeTextFile(path, content);
        else await Deno.writeFile(path, content);
      }
      const setup: AgentSetup = {
        home,
        binary: profile.binary,
        workdir,
        server: { ...server, trustBundlePath: await writeTrustBundle(dir, server.caCertPath) },
        transport: m.transport,
      };
      await profile.prepareHome(setup);
      let argv = [
        profile.binary,
        ...profile.args(m.prompt ?? scenario.prompt ?? "", setup),
      ];
      if (server.pages.some((p) => p.host)) {
        const hostsPath = join(dir, "hosts");
        const base = await Deno.readTextFile("/etc/hosts").catch(() => "");
        await Deno.writeTextFile(hostsPath, hostsFile(server.pages, base));
        argv = withHostsFile(argv, hostsPath);
      }
      const p = prepared.at(-1)!;
      p.argv = argv;
      p.env = { ...agentBaseEnv(), ...profile.env(setup) };
    }
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const launcher = join(runDir, "launch.sh");
    await Deno.writeTextFile(
      launcher,
      launcherScript(workdir, prepared, Math.ceil(timeoutMs / 1000)),
    );
    await Deno.chmod(launcher, 0o700);
    let argv = ["/bin/sh", launcher];
    if (opts.wrap) argv = opts.wrap(argv);
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd: workdir,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // a bound on the whole team in case the launcher itself hangs
    const guard = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, timeoutMs + 30_000);
    const [status, stderrBytes] = await Promise.all([
      child.status,
      new Response(child.stderr).arrayBuffer(),
    ]);
    clearTimeout(guard);
    const members: MemberResult[] = [];
    for (const p of prepared) {
      const rc = (await readOr(p.rc)).trim();
      members.push({
        name: p.name,
        agent: p.agent,
        exitCode: rc === "" ? null : Number(rc),
        stdout: await readOr(p.out),
        stderr: await readOr(p.err),
        requests: [...p.server.requests],
        serverErrors: [...p.server.errors],
        transcript: p.server.transcript,
      });
    }
    return {
      workdir,
      exitCode: status.signal ? null : status.code,
      argv,
      members,
      stderr: new TextDecoder().decode(stderrBytes),
      elapsedMs: Math.round(performance.now() - t0),
    };
  } finally {
    for (const p of prepared) await p.server.close().catch(() => {});
    if (!opts.keepRunDir) {
      await Deno.remove(runDir, { recursive: true }).catch(() => {});
    }
  }
}
