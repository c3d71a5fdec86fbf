/**
 * Tool results that reached the model only as the text of a compaction's transcript. opencode
 * (1.18, 1.19) compacts by handing a summariser the conversation as text — `[Assistant tool
 * call]: NAME(INPUT)` lines, each followed by a `[Tool result]: TEXT` line — and goes on from
 * the summary: a tool call answered just before the compaction never has its result sent as a
 * message, only as that text. Such a result is tied to a tool call when the transcript
 * identifies it: an id the text names (`[Assistant tool call] (id ID): …`, as a transcript
 * that names its calls would; opencode's do not) or else the name and input, which exactly one
 * call of the summarised process that is still without a result has (the same name, the same
 * input as JSON values). A result no call, or more than one, fits is said, not guessed.
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

/** What tying a transcript's results did: the calls tied, and one line for each not tied. */
export interface Tied {
  tied: ToolCallRow[];
  untied: string[];
}

/**
 * Ties each result of transcript `text` (the summariser's LLM call `callId`, asked at `at` by
 * process `pid`) to the one call of `open` (calls still without a result; a tied one is taken
 * out of it) it identifies: by the id it names, else by name and input, asked by `pid`. A
 * result that fits none of `open` but a call of `all` (answered already, as a message) is no
 * loss: skipped; one that fits no call at all, or several, is said.
 */
export function tieTranscriptResults(
  open: ToolCallRow[],
  all: readonly ToolCallRow[],
  askedBy: (t: ToolCallRow) => number | undefined,
  text: string,
  callId: bigint,
  at: bigint | null,
  pid: number,
): Tied {
  const tied: ToolCallRow[] = [];
  const untied: string[] = [];
  for (const r of transcriptResults(text)) {
    const fit = (t: ToolCallRow) =>
      r.callId !== null
        ? t.provider_call_id === r.callId
        : t.name === r.name && (askedBy(t) ?? pid) === pid && sameJson(t.input, r.input);
    const fits = open.filter(fit);
    if (fits.length !== 1) {
      // a result of a call answered as a message already: nothing lost, nothing to say
      if (fits.length === 0 && all.some(fit)) continue;
      untied.push(
        `LLM call ${callId} (a compaction's summariser) carries the result of a ${r.name} call ` +
          `only as transcript text, which ${
            r.callId === null ? "names no call id" : `names call id ${r.callId}`
          }; ${
            fits.length ? `${fits.length} calls without a result fit it` : "no call fits it"
          }: not tied to a tool call`,
      );
      continue;
    }
    const t = fits[0];
    open.splice(open.indexOf(t), 1);
    t.result_llm_call_id = callId;
    t.result_text = r.text;
    t.result_is_error = null;
    t.result_ns = at;
    tied.push(t);
  }
  return { tied, untied };
}

/** Whether JSON texts `a` and `b` hold the same value (key order aside). */
function sameJson(a: string | null, b: string): boolean {
  if (a === null) return false;
  try {
    return canonical(JSON.parse(a)) === canonical(JSON.parse(b));
  } catch {
    return a === b;
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
