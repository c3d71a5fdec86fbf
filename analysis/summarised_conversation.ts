/**
 * Which conversation a compaction's summariser summarised, when its request carries that
 * conversation as text rather than as messages (opencode 1.19 serialises it as
 * `[User]: …`, `[Assistant tool call]: …`, `[Tool result]: …` lines in one user message), so
 * that no history hash ties the summariser's call to it and it starts a conversation of its
 * own. What compaction is says where it belongs: the agent asks the model to summarise the
 * conversation, and the next main turn starts again from the summary returned. So once a main
 * turn goes on from the summary of a conversation without a main turn of its own (the
 * summariser's, `llm_calls.conversation_via` `summary`), that conversation is the compaction
 * of the conversation of the same process whose text its opening quotes: one with a main turn,
 * whose calls had all ended when the summariser asked, and most of whose prompt (its first
 * main call's new user text, line by line, 12 characters or more of it) the summariser's new
 * user text holds; of those, the one of which it quotes the most of the latest user text as
 * well (two sessions begun with the same prompt, pasted again: the one summarised is the one
 * whose later words it quotes), then the one whose last call ended latest. A title request
 * quotes the prompt too, but no main turn goes on from its answer; two conversations of which
 * the summariser quotes only one stay two. The work is one scan of the summariser's text per
 * candidate (each conversation of its process with a main turn), once per compaction whose
 * summariser quoted the conversation as text: not per call.
 */
import { MIN_LINE } from "./llm/shapes.ts";

/** The fewest characters of a prompt that a summariser's text must quote. */
const MIN_QUOTED = 12;

/** What is kept of a call as it is taken (in request order). */
export interface SummarisedCall {
  pid: number;
  main: boolean;
  request_ns: bigint | null;
  end_ns: bigint | null;
  userInput: string | null;
}

export class SummarisedConversations {
  /**
   * each conversation with a main turn: its process, prompt, and the latest other new user
   * text of its main turns (null: none yet)
   */
  #prompt = new Map<bigint, { pid: number; text: string | null; last: string | null }>();
  /** by process: its conversations with a main turn, in the order they began */
  #mainOf = new Map<number, bigint[]>();
  /** the latest end of a call of each conversation (null: one never ended) */
  #lastEnd = new Map<bigint, bigint | null>();
  /** each conversation that began without a main turn: its first call's new user text and ask */
  #opening = new Map<bigint, { text: string; request_ns: bigint }>();

  /** Takes call `s` of conversation `conv`; `first` when the call began it. */
  add(s: SummarisedCall, conv: bigint, first: boolean): void {
    const end = this.#lastEnd.get(conv);
    this.#lastEnd.set(
      conv,
      end === null || s.end_ns === null
        ? null
        : end === undefined || s.end_ns > end
        ? s.end_ns
        : end,
    );
    if (first && !s.main && s.userInput && s.request_ns !== null) {
      this.#opening.set(conv, { text: s.userInput, request_ns: s.request_ns });
    }
    const known = s.main ? this.#prompt.get(conv) : undefined;
    if (known && s.userInput && s.userInput !== known.text) known.last = s.userInput;
    if (s.main && !known) {
      this.#prompt.set(conv, { pid: s.pid, text: s.userInput, last: null });
      let convs = this.#mainOf.get(s.pid);
      if (!convs) this.#mainOf.set(s.pid, convs = []);
      convs.push(conv);
    }
  }

  /**
   * The conversation of process `pid` that conversation `summariser` (begun without a main
   * turn, whose summary a main turn goes on from) summarised, by the text it quotes (see the
   * module's doc); `resolve` gives what a conversation was merged into.
   */
  summarised(
    pid: number,
    summariser: bigint,
    resolve: (conv: bigint) => bigint,
  ): bigint | undefined {
    const open = this.#opening.get(summariser);
    if (!open) return undefined;
    let best: bigint | undefined;
    let bestHeld = -1;
    let bestEnd = -1n;
    for (const conv of this.#mainOf.get(pid) ?? []) {
      if (resolve(conv) === summariser) continue;
      const end = this.#lastEnd.get(conv);
      if (end === null || end === undefined || end > open.request_ns) continue;
      const said = this.#prompt.get(conv);
      if (!said?.text || !quotes(open.text, said.text)) continue;
      // how much of its latest words the text holds too (none said: as much as any)
      const held = said.last === null ? 0 : quotedChars(open.text, said.last);
      if (held > bestHeld || (held === bestHeld && end > bestEnd)) {
        (best = conv, bestHeld = held, bestEnd = end);
      }
    }
    return best === undefined ? undefined : resolve(best);
  }
}

/**
 * Whether `text` quotes `prompt`: the prompt's lines (trimmed, `MIN_LINE` characters or more)
 * that the text holds are `MIN_QUOTED` characters or more and at least half of them all.
 */
export function quotes(text: string, prompt: string): boolean {
  const { all, held } = quoted(text, prompt);
  return held >= MIN_QUOTED && 2 * held >= all;
}

/** The characters of `said`'s lines (trimmed, `MIN_LINE` or more) that `text` holds. */
export function quotedChars(text: string, said: string): number {
  return quoted(text, said).held;
}

function quoted(text: string, said: string): { all: number; held: number } {
  let all = 0;
  let held = 0;
  for (const raw of said.split("\n")) {
    const line = raw.trim();
    if (line.length < MIN_LINE) continue;
    all += line.length;
    if (text.includes(line)) held += line.length;
  }
  return { all, held };
}
