/**
 * The input tokens a faithful model server reports for a request that carries an earlier one: a
 * request whose history holds a served request's whole history and its answer (the analysis'
 * history hashes, analysis/llm/shapes.ts: the system prompt apart, so a summariser's request
 * with a prompt of its own over the same entries counts too) has at least that request's input
 * and output as its own input. A scenario that reports a context nearly full (990000 input
 * tokens) then tells the agent, on the request that asks for the summary of that context, how
 * large what it summarised was, as a real server does; it used to report its nominal 1000, and
 * Qwen Code 0.24.4, which reckons the context after a compression from the summariser's usage
 * (the input it read, less the output it gave), found the compressed context as large as before
 * and stopped ("Context is too large to send safely after automatic compression"). A history
 * that starts again from a summary carries none of it. A turn whose usage gives its input says
 * its own count: the scenario's word is kept.
 */
import type { History } from "../../analysis/llm/shapes.ts";
import type { Usage } from "./reply.ts";

export class ContextTokens {
  /** by a served request's history (its entries' hash): its input and output, all counted */
  #context = new Map<number, number>();

  /** The fewest input tokens (cache reads and writes included) a request with `h` reports. */
  carried(h: History | undefined): number {
    let most = 0;
    for (const t of h?.turns ?? []) most = Math.max(most, this.#context.get(t) ?? 0);
    return most;
  }

  /** `usage` with its input raised to what the request carries (see the module's doc). */
  raise(h: History | undefined, usage: Usage): Usage {
    const cached = usage.cacheReadTokens + usage.cacheWriteTokens;
    const input = Math.max(usage.inputTokens, this.carried(h) - cached);
    return input === usage.inputTokens ? usage : { ...usage, inputTokens: input };
  }

  /** Notes the answer served to a request with history `h`. */
  served(h: History | undefined, usage: Usage): void {
    if (!h) return;
    const all = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens +
      usage.outputTokens;
    this.#context.set(h.hash, Math.max(this.#context.get(h.hash) ?? 0, all));
  }
}
