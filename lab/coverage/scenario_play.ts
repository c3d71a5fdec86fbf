/**
 * The coverage matrix's scenarios that one plain run cannot play: a Ctrl-C at a scripted point
 * (`interrupt-stream`: while the answer stalls after its first events; `interrupt-tool`: while
 * the agent's slow command runs), a session resumed by a second process (`resume`), and a
 * session that compacts and is then resumed (`compaction`). `playOf` says how a scenario is
 * played; the runner (coverage.ts) sends the signal (lab/agents/ctrl_c.ts) or runs the second
 * process (lab/agents/resume_args.ts); `judgePlay` holds what the analysis shows to what a user
 * checks of each: the interrupted call there and marked cut, said as left unread by its client,
 * the interrupted command stopped by a signal or said as left running, what is left running said
 * so; the resumed process's calls joined to the first one's conversation; the compaction's
 * summary counted. Each verdict says why when it is not `yes`; a build without the feature is
 * `n/a` with the reason only when the rest of its run held (it exited 0 and the resume part is
 * there), never a pass and never for a failed run.
 */
import type { RequestRecord, Scenario } from "../simulator/mod.ts";
import type { InterruptPoint } from "../agents/ctrl_c.ts";

/** How a scenario is played under capture. */
export type Play =
  | { kind: "once" }
  | { kind: "interrupt"; when: InterruptPoint }
  | { kind: "resume"; compaction: boolean };

/** The prompt the resuming process gives (the resume and compaction scenarios). */
export const AGAIN = "Tell me again what the command printed.";

/** How the scenario named `name` is played (its `name` field, e.g. `interrupt-stream`). */
export function playOf(scenario: Pick<Scenario, "name">): Play {
  switch (scenario.name) {
    case "interrupt-stream":
      return { kind: "interrupt", when: "stream" };
    case "interrupt-tool":
      return { kind: "interrupt", when: "tool" };
    case "resume":
      return { kind: "resume", compaction: false };
    case "compaction":
      return { kind: "resume", compaction: true };
    default:
      return { kind: "once" };
  }
}

/** A main LLM call of the recording (`sql/coverage_session.sql`). */
export interface SessionCall {
  pid: number;
  outcome: string;
  conversation_id: number;
  conversation_via: string | null;
  assistant_text: string;
  /** its conversation's processes and compactions (the `conversations` row) */
  processes: number;
  compactions: number;
  /** how the calls of its conversation (main and side) joined it, e.g. `history,summary` */
  conversation_vias: string;
}

/** What the analysis showed of a run, for `judgePlay`. */
export interface PlayFacts {
  calls: SessionCall[];
  /** every `problems` row */
  problems: { kind: string; message: string }[];
  /** tool calls the main calls' answers asked for, and those whose result went back */
  toolCalls: number;
  toolResults: number;
  /** the agent's exit code (a resume: the shell sequence's), null when a signal ended it */
  exitCode: number | null;
  /**
   * the recorded processes of the interrupt_tool build script's `sleep 45`
   * (sql/coverage_sleeps.sql): how each ended, so an interrupt is known to have stopped the command
   */
  sleeps: { pid: number; ended: boolean; exit_code: number | null; exit_signal: number | null }[];
}

/** A verdict on the scenario's own part: `n/a` when the build could not play it. */
export interface PlayVerdict {
  captured: "yes" | "no" | "n/a";
  note: string;
}

/** How an incomplete answer's problem says its client stopped reading (not a recording loss). */
const CUT_BY_CLIENT = /its client \(pid \d+ [^)]*\) ended \([^)]*\)[^:]*: it stopped waiting/;

/**
 * Whether the agent went on from a rewritten history (a compaction), as the server saw it: a turn
 * of its own (a request that offers tools) that carries no tool call of the model's once the
 * server had answered with one. A summariser's request (no tools) is not one: Qwen Code 0.12.0
 * asks for a summary of the history before the tool call and then goes on without it. Not
 * whether a history was shorter than the one before: requests made at once arrive in either
 * order (GitHub Copilot CLI 1.0.102 asks for its summary while it sends the tool result).
 * Bodies that name a stored response (`previous_response_id`) send only new items and are not
 * compared.
 */
export function compactedOnWire(
  requests: Pick<RequestRecord, "kind" | "seq" | "body" | "toolCalls">[],
): boolean {
  const main = requests.filter((r) => r.kind === "main").sort((a, b) => a.seq - b.seq);
  let called = false;
  for (const r of main) {
    if (
      called && historyLength(r.body) !== undefined && offersTools(r.body) &&
      toolCallItems(r.body) === 0
    ) return true;
    if (r.toolCalls?.length) called = true;
  }
  return false;
}

/** Whether a request offers the model tools (an agent's turn, not a summariser's request). */
function offersTools(body: unknown): boolean {
  const tools = (body as { tools?: unknown } | null)?.tools;
  return Array.isArray(tools) && tools.length > 0;
}

/** The model's tool calls a request's history carries, in any of the APIs' forms. */
function toolCallItems(body: unknown): number {
  const text = JSON.stringify(body);
  return (text.match(
    /"type":"(?:tool_use|function_call|custom_tool_call|local_shell_call)"|"functionCall":|"tool_calls":\[\{/g,
  ) ?? []).length;
}

/** The number of history items a request body carries (any of the APIs' forms). */
function historyLength(body: unknown): number | undefined {
  if (!body || typeof body !== "object") return undefined;
  const b = body as Record<string, unknown>;
  if (b.previous_response_id) return undefined;
  for (const key of ["messages", "input", "contents"]) {
    if (Array.isArray(b[key])) return (b[key] as unknown[]).length;
  }
  return undefined;
}

/**
 * The verdict on a played scenario, beyond the base check (prompt, answer, tool calls: coverage.ts
 * `judgeCapture`): `signalled` the processes Ctrl-C reached (interrupt), `served` the server's log
 * of main requests, `turns` the scenario's.
 */
export function judgePlay(
  play: Play,
  facts: PlayFacts,
  served: {
    requests: Pick<RequestRecord, "kind" | "seq" | "turn" | "body" | "toolCalls">[];
    turns: number;
  },
  signalled: string[] = [],
  /**
   * the traced processes with no recorded end still running after the agent ended (what an
   * interrupted agent left running of its command: `ctrl_c.ts` `leftRunning`)
   */
  leftRunning: { pid: number; comm: string }[] = [],
): PlayVerdict {
  const notes: string[] = [];
  const problems = facts.problems.filter((p) => p.kind === "running");
  // a process the agent left running is rightly said to be running at the capture's end
  const said = new Set(
    problems.flatMap((p) => [...p.message.matchAll(/\bpid (\d+)/g)].map((m) => Number(m[1]))),
  );
  const left = new Set(leftRunning.map((p) => p.pid));
  const lost = [...said].filter((pid) => !left.has(pid));
  // the message names five at most: the rest are counted, not named
  const named = !problems.some((p) => /\band \d+ more\)/.test(p.message));
  const unsaid = named ? leftRunning.filter((p) => !said.has(p.pid)) : [];
  const wrong = lost.length > 0 || unsaid.length > 0;
  if (lost.length) notes.push(`${lost.length} traced process(es) left without an end`);
  if (unsaid.length) {
    notes.push(
      `${unsaid.map((p) => `${p.comm} ${p.pid}`).join(", ")} still running after the agent ` +
        "ended, not said so (no running problem names it)",
    );
  }
  if (leftRunning.length && !unsaid.length) {
    notes.push(
      `the agent left its command running (${leftRunning.map((p) => p.comm).join(", ")}), ` +
        "as the running problem says",
    );
  }
  if (play.kind === "once") return { captured: "yes", note: "" };
  if (play.kind === "interrupt") {
    if (!signalled.length) {
      return {
        captured: "no",
        note: `Ctrl-C never sent: the agent ended before its ${
          play.when === "stream" ? "answer stalled" : "command ran"
        }`,
      };
    }
    notes.unshift(`Ctrl-C reached ${signalled.join(", ")}`);
    const main = facts.calls;
    if (play.when === "stream") {
      const cut = main.filter((c) => c.outcome === "cut" || c.outcome === "unanswered");
      if (cut.length !== 1) {
        notes.push(`${cut.length} interrupted main calls (outcomes ${outcomes(main)}), not 1`);
      } else {
        notes.push(`the interrupted call is there, outcome ${cut[0].outcome}`);
      }
      const incomplete = facts.problems.filter((p) => p.kind === "incomplete");
      if (incomplete.length !== 1) {
        notes.push(`${incomplete.length} incomplete problems, not 1`);
      } else if (!CUT_BY_CLIENT.test(incomplete[0].message)) {
        notes.push(`its problem does not say the client stopped reading: ${incomplete[0].message}`);
      }
      if (facts.toolCalls) notes.push(`${facts.toolCalls} tool calls, though none was sent`);
      const ok = cut.length === 1 && incomplete.length === 1 &&
        CUT_BY_CLIENT.test(incomplete[0].message) && !facts.toolCalls && !wrong;
      return { captured: ok ? "yes" : "no", note: notes.join("; ") };
    }
    // the command's tool call is there; its result went back only if the agent carried on
    notes.push(
      `${facts.toolCalls} tool call(s), ${facts.toolResults} with a result sent back` +
        (facts.toolResults ? " (the agent carried on)" : ""),
    );
    if (!facts.toolCalls) notes.push("the interrupted command's tool call is missing");
    // the interrupt happened: the command's sleep ended by a signal, or is left running and said
    const leftSaid = new Set(leftRunning.filter((p) => said.has(p.pid)).map((p) => p.pid));
    const stopped = facts.sleeps.filter((p) => p.exit_signal !== null || leftSaid.has(p.pid));
    if (!facts.sleeps.length) notes.push("the command's sleep 45 is not in the recording");
    else if (!stopped.length) {
      notes.push(
        "the command was not interrupted: its sleep 45 " +
          facts.sleeps.map((p) =>
            p.ended ? `ended by itself (exit code ${p.exit_code})` : "has no recorded end"
          ).join(", "),
      );
    } else if (stopped.some((p) => p.exit_signal !== null)) {
      notes.push(
        `its sleep 45 ended by signal ${stopped.find((p) => p.exit_signal !== null)!.exit_signal}`,
      );
    }
    const ok = facts.toolCalls >= 1 && main.length >= 1 && stopped.length > 0 && !wrong;
    return { captured: ok ? "yes" : "no", note: notes.join("; ") };
  }
  // resume (and compaction): the second process's calls joined to the first one's conversation
  // a compaction the wire shows, or one the analysis counts (which the wire check may not see: a
  // compaction that keeps the latest items, tool call included), is judged as one
  const counted = facts.calls.some((c) =>
    c.compactions > 0 || c.conversation_vias.split(",").includes("summary")
  );
  if (play.compaction && !compactedOnWire(served.requests) && !counted) {
    // the build did not compact: n/a only when the rest of the run held. The summary's turn
    // served its summariser's request (no tools: Qwen Code 0.12.0 asks and goes on without it),
    // or else an ordinary turn, and the resumed process's last request is one turn earlier
    const asked = served.requests.some((r) => r.kind === "main" && !offersTools(r.body));
    const resumed = resumeNotes(facts, served, served.turns - (asked ? 1 : 2), false, wrong);
    const why = "the agent did not compact at the scenario's nearly full context (990000 " +
      "input tokens): no request left out the tool call it had been answered with, and the " +
      "analysis counts no compaction";
    if (facts.exitCode !== 0) {
      return {
        captured: "no",
        note: `${why}, but the run failed: the agent exited ${facts.exitCode ?? "by a signal"}` +
          (resumed.notes.length ? `; ${resumed.notes.join("; ")}` : ""),
      };
    }
    if (!resumed.ok) {
      return {
        captured: "no",
        note: `${why}, and its resume does not hold: ${resumed.notes.join("; ")}`,
      };
    }
    return { captured: "n/a", note: `${why}; ${resumed.notes.join("; ")}` };
  }
  const v = resumeNotes(facts, served, served.turns - 1, play.compaction, wrong);
  return { captured: v.ok ? "yes" : "no", note: [...notes, ...v.notes].join("; ") };
}

/**
 * The resume part: the resumed process sent the session's history (its last request was served
 * turn `lastExpected`), two processes made main calls in one conversation, one joined as resumed;
 * with `compaction`, the compaction counted.
 */
function resumeNotes(
  facts: PlayFacts,
  served: { requests: Pick<RequestRecord, "kind" | "seq" | "turn">[]; turns: number },
  lastExpected: number,
  compaction: boolean,
  wrong: boolean,
): { ok: boolean; notes: string[] } {
  const notes: string[] = [];
  const mains = served.requests.filter((r) => r.kind === "main").sort((a, b) => a.seq - b.seq);
  const lastTurn = mains.at(-1)?.turn;
  const pids = new Set(facts.calls.map((c) => c.pid));
  if (lastTurn !== lastExpected) {
    notes.push(
      `the resumed process did not send the session's history (its last request was served ` +
        `turn ${lastTurn === undefined ? "none" : lastTurn + 1} of ${served.turns})`,
    );
  }
  const conv = facts.calls[0]?.conversation_id;
  const inOne = facts.calls.every((c) => c.conversation_id === conv);
  const first = facts.calls[0];
  const vias = new Set((first?.conversation_vias ?? "").split(",").filter(Boolean));
  if (pids.size !== 2) notes.push(`${pids.size} process(es) made main calls, not 2`);
  if (!inOne) {
    notes.push(
      `the main calls are in ${new Set(facts.calls.map((c) => c.conversation_id)).size} ` +
        "conversations, not one",
    );
  }
  if (!vias.has("resumed")) notes.push("no call is joined as resumed");
  if (first && first.processes !== 2) {
    notes.push(`its conversation has ${first.processes} processes`);
  }
  if (compaction) {
    if (!vias.has("summary") || !first || first.compactions < 1) {
      notes.push("the compaction on the wire is not counted (no call went on from the summary)");
    } else notes.push(`${first.compactions} compaction(s) counted`);
  }
  const ok = lastTurn === lastExpected && pids.size === 2 && inOne && vias.has("resumed") &&
    first?.processes === 2 &&
    (!compaction || (vias.has("summary") && first.compactions >= 1)) &&
    !wrong;
  if (ok) {
    notes.unshift(
      `${facts.calls.length} main calls of 2 processes in one conversation` +
        (compaction ? "" : ", the second joined as resumed"),
    );
  }
  return { ok, notes };
}

/**
 * The row's verdict from the base check (`judgeCapture`'s `ok`), whether the scripted server
 * refused a main request (the scenario was not played as written: the lab's failure, `no`, never
 * `n/a`) and the scenario's own verdict (none for a plain run).
 */
export function cellOf(
  baseOk: boolean,
  refused: boolean,
  play?: PlayVerdict,
): "yes" | "no" | "n/a" {
  // n/a (the build lacks the feature) only for a run that otherwise held: a failed run is no
  if (play?.captured === "n/a" && !refused && baseOk) return "n/a";
  return baseOk && !refused && (!play || play.captured === "yes") ? "yes" : "no";
}

const outcomes = (calls: SessionCall[]) => calls.map((c) => c.outcome).join(",") || "none";
