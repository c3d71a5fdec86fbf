/**
 * Plays a scenario: for each main request it picks the turn to serve (by the number of model
 * turns in the request's history, or one per request), applies `repeat` and `when` conditions
 * to the tool result the agent sent back, fills in placeholders, maps tool actions onto the
 * offered tools, and builds the provider-neutral {@linkcode Reply}. Side requests get a
 * deterministic answer that does not move the script. The same position always gets the same
 * reply, so client retries are harmless.
 */

import { sampleFromSchema } from "./json_schema_sample.ts";
import type { Reply, Usage } from "./reply.ts";
import { findCwd, type Provider, type RequestView } from "./request_view.ts";
import type { SideKind } from "./request_kind.ts";
import type { Condition, Scenario, Turn, TurnFailure, UsageSpec } from "./scenario.ts";
import { fillTemplate, fillTemplatesDeep } from "./templates.ts";
import { mapToolAction, ToolMappingError } from "./tool_mapping.ts";
import { mapMcpAction } from "./mcp_tools.ts";
import { commandOutput } from "./tool_output.ts";
import { ContextTokens } from "./context_tokens.ts";
import type { ToolAction } from "./scenario.ts";

/** Usage reported for a main turn when the scenario gives none. */
export const DEFAULT_USAGE: Readonly<Usage> = {
  inputTokens: 1000,
  outputTokens: 50,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
};

/** Usage reported for side requests. */
export const SIDE_USAGE: Readonly<Usage> = {
  inputTokens: 200,
  outputTokens: 10,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
};

/** Model names reported when neither the scenario nor the request names one. */
export const DEFAULT_MODELS: Readonly<Record<Provider, string>> = {
  anthropic: "claude-sonnet-4-5",
  "openai-responses": "gpt-5-codex",
  "openai-chat": "gpt-4.1-mini",
  gemini: "gemini-2.5-pro",
  ollama: "qwen3:8b",
};

/** Unix time put in "created" fields: fixed, so transcripts of a scenario are repeatable. */
const CREATED_BASE = 1767225600; // 2026-01-01T00:00:00Z

/** Where the script stands for one position of the conversation. */
export interface Position {
  /** Index of the turn served. */
  turn: number;
  /** How many times this turn has been served, this one included. */
  served: number;
  /**
   * The text of the turn the client already holds: its answer broke off, and the client sent
   * what came of it back as a model turn, asking to go on (Qwen Code's resume): the rest is
   * served, as a model continues from where it was cut.
   */
  resume?: string;
  /** With `resume`: the rest of the turn's text, as it was when the answer broke off. */
  rest?: string;
}

/** The outcome of planning a main request. */
export type Plan =
  | {
    exhausted: false;
    position: number;
    turn: number;
    served: number;
    resume?: string;
    rest?: string;
  }
  | { exhausted: true; position: number };

/**
 * Whether a tool result meets a condition, tested on the command's output without the agent's
 * wrapper (as `{{tool_output}}`): Qwen Code's wrapper repeats the command ("Command: …"), so a
 * condition on what the command prints would otherwise meet the command's own text, and the
 * Gemini CLI's `<untrusted_context>` would hide where the output begins.
 */
function meets(cond: Condition, result: string): boolean {
  const text = commandOutput(result);
  if (cond.contains !== undefined && !text.includes(cond.contains)) {
    return false;
  }
  if (cond.notContains !== undefined && text.includes(cond.notContains)) {
    return false;
  }
  if (cond.matches !== undefined && !new RegExp(cond.matches).test(text)) {
    return false;
  }
  return true;
}

function usageOf(...specs: (UsageSpec | undefined)[]): Usage {
  const u = { ...DEFAULT_USAGE };
  for (const s of specs) {
    if (!s) continue;
    if (s.input !== undefined) u.inputTokens = s.input;
    if (s.output !== undefined) u.outputTokens = s.output;
    if (s.cacheRead !== undefined) u.cacheReadTokens = s.cacheRead;
    if (s.cacheWrite !== undefined) u.cacheWriteTokens = s.cacheWrite;
    if (s.reasoning !== undefined) u.reasoningTokens = s.reasoning;
  }
  return u;
}

function providerFamily(p: Provider): "anthropic" | "openai" | "gemini" {
  return p === "anthropic" ? "anthropic" : p === "gemini" ? "gemini" : "openai";
}

/** The text of the latest tool result in a request ("" when there is none). */
export function latestResult(view: RequestView): string {
  return view.toolResults.length > 0 ? view.toolResults[view.toolResults.length - 1].text : "";
}

export class ScriptPlayer {
  readonly scenario: Scenario;
  /** Variables for placeholders; may be changed between requests. */
  readonly vars: Record<string, string>;
  private readonly positions = new Map<number, Position>();
  /** Errors served so far in place of a turn's first serving, by position. */
  private readonly failures = new Map<number, number>();
  /** Answers that broke off mid-stream, by position: the turn and its whole text. */
  private readonly interrupted = new Map<number, { turn: number; text: string }>();
  private requestCount = 0;
  /** what each served request's history counted, for the requests that carry it */
  private readonly context = new ContextTokens();

  constructor(scenario: Scenario, vars: Record<string, string> = {}) {
    this.scenario = scenario;
    this.vars = vars;
  }

  /** Chooses the turn for a main request. */
  plan(view: RequestView): Plan {
    const k = this.scenario.sequencing === "per-request"
      ? this.requestCount++
      : view.assistantTurns;
    const result = latestResult(view);
    const known = this.positions.get(k);
    if (known?.resume !== undefined && this.heldOf(view, k - 1) === undefined) {
      // after a resume, a client that joined what it had of the broken answer and its rest
      // into one model turn sends the next request at the same count of model turns: it
      // follows the resumed turn
      return this.settle(k, this.after(known, result), result);
    }
    if (known) return { exhausted: false, position: k, ...known };
    let prevKey = -1;
    for (const key of this.positions.keys()) {
      if (key < k && key > prevKey) prevKey = key;
    }
    // the answer at the position before broke off, and this request holds what came of it as
    // its last model turn: it asks for the rest of that turn
    const cut = this.interrupted.get(k - 1);
    const held = this.heldOf(view, k - 1);
    let next: Position;
    if (cut && held !== undefined && prevKey === k - 1) {
      next = { turn: cut.turn, served: 1, resume: held, rest: cut.text.slice(held.length) };
    } else if (prevKey < 0) {
      next = { turn: 0, served: 1 };
    } else {
      next = this.after(this.positions.get(prevKey)!, result);
    }
    return this.settle(k, next, result);
  }

  /**
   * What of the answer that broke off at `position` the request holds as a model turn: a
   * proper start of its text (conversation sequencing only), or undefined.
   */
  private heldOf(view: RequestView, position: number): string | undefined {
    const cut = this.scenario.sequencing === "per-request"
      ? undefined
      : this.interrupted.get(position);
    if (!cut) return undefined;
    return view.texts.findLast((t) =>
      t !== "" && t.length < cut.text.length && cut.text.startsWith(t)
    );
  }

  /** The position after `prev`: its turn again (a repeat) or the next. */
  private after(prev: Position, result: string): Position {
    const r = this.scenario.turns[prev.turn].repeat;
    const again = r !== undefined && prev.served < r.max &&
      (r.while ? meets(r.while, result) : !meets(r.until!, result));
    return again
      ? { turn: prev.turn, served: prev.served + 1 }
      : { turn: prev.turn + 1, served: 1 };
  }

  /** Skips turns whose `when` fails, keeps the position and plans it. */
  private settle(k: number, next: Position, result: string): Plan {
    const turns = this.scenario.turns;
    while (
      next.turn < turns.length && turns[next.turn].when &&
      !meets(turns[next.turn].when!, result)
    ) {
      next = { turn: next.turn + 1, served: 1 };
    }
    if (next.turn >= turns.length) return { exhausted: true, position: k };
    this.positions.set(k, next);
    return { exhausted: false, position: k, ...next };
  }

  /**
   * The API error to serve in place of a planned turn (its `fail`), while fewer than `times`
   * have been served at its position; only the turn's first serving fails, so a repeating
   * turn is not failed again. The failed request does not move the script: the client's retry
   * is planned at the same position (also with per-request sequencing).
   */
  failure(plan: Plan): TurnFailure | undefined {
    if (plan.exhausted || plan.served !== 1 || plan.resume !== undefined) return undefined;
    const f = this.scenario.turns[plan.turn].fail;
    const done = this.failures.get(plan.position) ?? 0;
    if (!f || done >= f.times) return undefined;
    this.failures.set(plan.position, done + 1);
    if (this.scenario.sequencing === "per-request") this.requestCount--;
    return f;
  }

  /**
   * Notes that the answer planned as `plan` broke off mid-stream with `text` as its whole text,
   * so that a client that sends back what it got and asks to go on gets the rest.
   */
  brokeOff(plan: Plan, text: string | undefined): void {
    if (plan.exhausted || !text) return;
    this.interrupted.set(plan.position, { turn: plan.turn, text });
  }

  private model(view: RequestView, turn?: Turn): string {
    if (turn?.model) return turn.model;
    const m = this.scenario.model;
    if (typeof m === "string") return m;
    // Ollama: no family in the scenario's map; the model the client asked for
    const family = view.provider === "ollama" ? undefined : providerFamily(view.provider);
    return (family ? m?.[family] : undefined) ?? view.model ??
      DEFAULT_MODELS[view.provider];
  }

  /** The placeholder values for a request. */
  templateVars(
    view: RequestView,
    plan?: Plan,
  ): Record<string, string | undefined> {
    const result = view.toolResults.length > 0 ? latestResult(view) : undefined;
    return {
      ...this.vars,
      workdir: this.vars.workdir ?? findCwd(view.texts),
      tool_result: result,
      tool_output: result === undefined ? undefined : commandOutput(result),
      tool_results: view.toolResults.length > 0
        ? view.toolResults.map((r) => r.text).join("\n")
        : undefined,
      prompt: view.lastUserText,
      turn: plan && !plan.exhausted ? String(plan.turn) : undefined,
      served: plan && !plan.exhausted ? String(plan.served) : undefined,
    };
  }

  /** Builds the reply for a planned main request. Throws on template or mapping errors. */
  reply(view: RequestView, plan: Plan): Reply {
    const seedBase = `${this.scenario.name}:${plan.position}`;
    if (plan.exhausted) {
      return {
        model: this.model(view),
        text: `(scenario ${this.scenario.name} has no more turns)`,
        toolCalls: [],
        usage: usageOf(this.scenario.usage),
        seed: `${seedBase}:end`,
        created: CREATED_BASE + plan.position,
      };
    }
    const turn = this.scenario.turns[plan.turn];
    const vars = this.templateVars(view, plan);
    const fill = (s: string | undefined) => s === undefined ? undefined : fillTemplate(s, vars);
    // a resumed answer: the rest of its text, as filled in when it broke off
    let text = plan.rest ?? fill(turn.text);
    if (turn.json !== undefined) {
      text = JSON.stringify(fillTemplatesDeep(turn.json, vars));
    }
    let toolCalls = (turn.tools ?? (turn.tool ? [turn.tool] : [])).map((t) => {
      const action = fillTemplatesDeep(t, vars) as ToolAction;
      return "mcp" in action
        ? mapMcpAction(action, view.tools)
        : mapToolAction(action, view.tools, vars.workdir);
    });
    // A deferred MCP tool is searched for first: an answer that must search only searches
    // (one search per query), and the answer after it asks for all the calls.
    if (toolCalls.some((c) => c.kind === "tool_search")) {
      const seen = new Set<string>();
      toolCalls = toolCalls.filter((c) => {
        const key = JSON.stringify(c.args);
        if (c.kind !== "tool_search" || seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    }
    let search: Reply["search"];
    if (turn.search) {
      // the provider runs its search only when the request offers its hosted search tool
      const hosted = view.hostedTools ?? [];
      if (!hosted.includes("web_search")) {
        throw new ToolMappingError(
          `turn ${plan.turn}: search: the request offers no hosted web search tool ` +
            `(hosted tools: ${hosted.join(", ") || "none"})`,
        );
      }
      search = fillTemplatesDeep(turn.search, vars) as Reply["search"];
    }
    return {
      model: this.model(view, turn),
      thinking: fill(turn.thinking),
      ...(search ? { search } : {}),
      ...(turn.refusal !== undefined ? { refusal: fill(turn.refusal) } : {}),
      ...(turn.stop === "max_tokens" ? { maxTokens: true } : {}),
      text,
      toolCalls,
      usage: this.usage(view, turn),
      // A tool search is served at the same position as the call it prepares: own ids.
      seed: `${seedBase}:${plan.turn}:${plan.served}${
        toolCalls.some((c) => c.kind === "tool_search") ? ":tool-search" : ""
      }`,
      created: CREATED_BASE + plan.position,
    };
  }

  /**
   * A turn's usage: the scenario's, its input raised to what the request carries of earlier
   * answers unless the turn gives its input (context_tokens.ts); noted for later requests.
   */
  private usage(view: RequestView, turn: Turn): Usage {
    const given = usageOf(this.scenario.usage, turn.usage);
    const usage = turn.usage?.input === undefined ? this.context.raise(view.history, given) : given;
    this.context.served(view.history, usage);
    return usage;
  }

  /**
   * The answer to a warm-up (`generate: false`, Responses over WebSocket): no output, no
   * tokens; `n` makes its response id unique.
   */
  warmupReply(view: RequestView, n: number): Reply {
    return {
      model: view.model ?? this.model(view),
      toolCalls: [],
      usage: {
        inputTokens: 0,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
      },
      seed: `${this.scenario.name}:warmup:${n}`,
      created: CREATED_BASE,
    };
  }

  /** A deterministic answer to a side request. */
  sideReply(view: RequestView, side: SideKind | undefined): Reply {
    const text = view.wantsJson
      ? JSON.stringify(sampleFromSchema(view.jsonSchema ?? { type: "object" }))
      : side === "title"
      ? "Scripted session"
      : "OK";
    return {
      model: view.model ?? this.model(view),
      text,
      toolCalls: [],
      usage: { ...SIDE_USAGE },
      seed: `${this.scenario.name}:side:${side ?? "other"}:${view.assistantTurns}`,
      created: CREATED_BASE,
    };
  }
}
