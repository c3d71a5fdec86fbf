/**
 * Tool results that reached the model only as the text of a compaction's transcript. opencode
 * (1.18, 1.19) compacts by handing a summariser the conversation as text — `[Assistant tool
 * call]: NAME(INPUT)` lines, each followed by a `[Tool result]: TEXT` line — and goes on from
 * the summary: a tool call answered just before the compaction never has its result sent as a
 * message, only as that text. Such a result is tied to a tool call when the transcript
 * identifies it: an id the text names (`[Assistant tool call] (id ID): …`, as a transcript
 * that names its calls would; opencode's do not) or else its place among the transcript's
 * results of the same name and input (as JSON values), matched in order with the summarised
 * process's calls of that name and input. Results no call fits, or several, are said (one
 * line per summariser, with counts), not guessed.
 */
import type { ToolCallRow } from "./schema.ts";

/** One tool call of a transcript and its result. */
export interface TranscriptResult {
  /** the call's id, when the transcript names it */
  callId: string | null;
  name: string;
  /** the input as the transcript writes it (JSON text) */
  input: string;
  text: string;
}

const CALL = /^\[Assistant tool call\](?: \(id ([^)\s]+)\))?: ([\w.:-]+)\((.*)\)$/;
const RESULT = "[Tool result]: ";
/** a line that begins the next entry of a transcript, or ends it */
const NEXT =
  /^(\[(User|Assistant|Assistant tool call|Tool result|System)\][^:]*: |<\/conversation>)/;

/** The tool calls of transcript `text` with their results, in order (pushed whole: a text). */
export function transcriptResults(text: string): TranscriptResult[] {
  const lines = text.split("\n");
  const out: TranscriptResult[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = CALL.exec(lines[i]);
    if (!m) continue;
    let j = i + 1;
    while (j < lines.length && lines[j] === "") j++;
    if (j >= lines.length || !lines[j].startsWith(RESULT)) continue;
    const body = [lines[j].slice(RESULT.length)];
    for (j++; j < lines.length && !NEXT.test(lines[j]); j++) body.push(lines[j]);
    out.push({
      callId: m[1] ?? null,
      name: m[2],
      input: m[3],
      text: body.join("\n").replace(/\n+$/, ""),
    });
    i = j - 1;
  }
  return out;
}

/** What tying a transcript's results did: the calls tied, and one line for those not tied. */
export interface Tied {
  tied: ToolCallRow[];
  untied: string[];
}

/**
 * Ties the results of transcript `text` (the summariser's LLM call `callId`, asked at `at` by
 * process `pid`) to the calls they are of. The calls it may quote are those of `all` asked by
 * `pid` (and of the conversation summarised, `summarised`, when that is known: a sub-agent may
 * share its parent's process), in order. A result naming a call id is that call's. The others
 * are matched in order: per name and input (as JSON values), the transcript's results of that
 * key from its end with the calls of that key from the last (a transcript ends where the
 * conversation stands; its start may be an earlier summary's), so a command run twice gets
 * each run's own result. A result is tied only when its call is in `open` (still without a
 * result; a tied one is taken out of it); one of a call answered already as a message is no
 * loss: skipped. Results no call fits, or several (an id named twice), are counted in one line.
 */
export function tieTranscriptResults(
  open: ToolCallRow[],
  all: readonly ToolCallRow[],
  askedBy: (t: ToolCallRow) => number | undefined,
  text: string,
  callId: bigint,
  at: bigint | null,
  pid: number,
  summarised: (t: ToolCallRow) => boolean = () => true,
): Tied {
  const tied: ToolCallRow[] = [];
  const mine = all.filter((t) => (askedBy(t) ?? pid) === pid && summarised(t));
  const take = (t: ToolCallRow, r: TranscriptResult) => {
    const i = open.indexOf(t);
    if (i < 0) return; // answered as a message already
    open.splice(i, 1);
    t.result_llm_call_id = callId;
    t.result_text = r.text;
    t.result_is_error = null;
    t.result_ns = at;
    tied.push(t);
  };
  const none = new Map<string, number>();
  const several = new Map<string, number>();
  const count = (m: Map<string, number>, name: string, n = 1) =>
    m.set(name, (m.get(name) ?? 0) + n);
  const byKey = new Map<string, TranscriptResult[]>();
  for (const r of transcriptResults(text)) {
    if (r.callId !== null) {
      const fits = mine.filter((t) => t.provider_call_id === r.callId);
      if (fits.length === 1) take(fits[0], r);
      else count(fits.length ? several : none, r.name);
      continue;
    }
    const key = `${r.name}\0${canonicalText(r.input)}`;
    byKey.set(key, [...byKey.get(key) ?? [], r]);
  }
  for (const [key, results] of byKey) {
    const calls = mine.filter((t) =>
      t.input !== null && `${t.name}\0${canonicalText(t.input)}` === key
    );
    const paired = Math.min(results.length, calls.length);
    for (let i = 1; i <= paired; i++) take(calls[calls.length - i], results[results.length - i]);
    if (results.length > paired) count(none, results[0].name, results.length - paired);
  }
  const said = (m: Map<string, number>) =>
    [...m].map(([name, n]) => `${n} of ${JSON.stringify(name)}`).join(", ");
  const why = [
    none.size ? `${said(none)} fit no call of the recording` : "",
    several.size ? `${said(several)} fit several calls` : "",
  ].filter(Boolean);
  return {
    tied,
    untied: why.length
      ? [
        `LLM call ${callId} (a compaction's summariser) carries tool results only as ` +
        `transcript text, not tied to a tool call: ${why.join("; ")}`,
      ]
      : [],
  };
}

/** JSON text `text` with its keys sorted (the text itself when it is not JSON). */
function canonicalText(text: string): string {
  try {
    return canonical(JSON.parse(text));
  } catch {
    return text;
  }
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${
      Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")
    }}`;
  }
  return JSON.stringify(v);
}
