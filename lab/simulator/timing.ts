/**
 * Model timing for replayed transcripts. Transcripts recorded against the scripted server have
 * no timing of their own (it answers at once), so a session replayed from one runs faster
 * than any real one. A timing profile gives each model call a time to first token and an
 * output speed per provider, with seeded jitter, and `timeTranscript` turns them into the
 * pauses (`delaysMs`) before each piece of each response: zero until the first piece that
 * carries output, the time to first token before it, then each piece's estimated tokens at the
 * call's speed. Non-streaming answers wait the whole generation before their one piece. Calls
 * that generate nothing (warm-ups, probes, token counts, model lists) get no pauses.
 *
 * The profile's numbers are assumptions (see REALISTIC_TIMING), not measurements: a
 * transcript says which profile and seed timed it in its `timing` field.
 */

import { mixSeed, normalDraw, seededRandom } from "../../kit/random.ts";
import { responseChunks } from "./replay.ts";
import type { Provider } from "./request_view.ts";
import { routeRequest } from "./routes.ts";
import type { Transcript, TranscriptExchange } from "./transcript.ts";

/** How one provider's models answer: medians and log-normal spreads. */
export interface ModelTiming {
  /** median time to first token, ms */
  ttftMs: number;
  /** spread of the time to first token: sigma of its natural log */
  ttftSigma: number;
  /** median output speed of a call, tokens per second */
  tokensPerS: number;
  /** spread of a call's speed: sigma of its natural log */
  speedSigma: number;
  /** spread of each pause between pieces around its expected length: sigma of its log */
  gapSigma: number;
}

export interface TimingProfile {
  name: string;
  /** what the numbers are and where they come from, for reports */
  description: string;
  /** characters of output text per token, to turn streamed text into tokens */
  charsPerToken: number;
  providers: Record<Provider, ModelTiming>;
}

/**
 * The default profile: hosted frontier models as agents use them, with numbers in the range
 * public latency dashboards show for such models (time to first token about 1-2 s, output
 * 60-120 tokens/s). Assumed, not measured: no recording here has a real model's timing.
 */
export const REALISTIC_TIMING: TimingProfile = {
  name: "realistic-v1",
  description: "parametrised model timing (assumed, not measured): per call a log-normal " +
    "time to first token (median 1.5 s Anthropic, 2.0 s OpenAI Responses, 0.8 s OpenAI " +
    "Chat, 2.0 s Gemini) and a log-normal output speed (median 60, 80, 80 and 120 " +
    "tokens/s), tokens estimated as 4 characters of streamed text, seeded jitter on every " +
    "pause",
  charsPerToken: 4,
  providers: {
    "anthropic": { ttftMs: 1500, ttftSigma: 0.3, tokensPerS: 60, speedSigma: 0.15, gapSigma: 0.3 },
    "openai-responses": {
      ttftMs: 2000,
      ttftSigma: 0.4,
      tokensPerS: 80,
      speedSigma: 0.15,
      gapSigma: 0.3,
    },
    "openai-chat": { ttftMs: 800, ttftSigma: 0.3, tokensPerS: 80, speedSigma: 0.15, gapSigma: 0.3 },
    "gemini": { ttftMs: 2000, ttftSigma: 0.3, tokensPerS: 120, speedSigma: 0.15, gapSigma: 0.3 },
    // a local model (Ollama): not in the description above, which the recorded transcripts
    // quote; assumed like a fast local GPU
    "ollama": { ttftMs: 300, ttftSigma: 0.3, tokensPerS: 40, speedSigma: 0.15, gapSigma: 0.3 },
  },
};

const TEXT_KEYS = new Set(["text", "delta", "partial_json", "arguments", "thinking", "content"]);
/** Tool arguments sent whole as an object (Gemini's functionCall.args, Anthropic's input). */
const ARGS_KEYS = new Set(["args", "input"]);

/**
 * Characters of model output in a parsed JSON value: strings under the output-text keys, and
 * tool arguments given as a (non-empty) object counted as their JSON.
 */
function textChars(v: unknown, key?: string): number {
  if (typeof v === "string") return key !== undefined && TEXT_KEYS.has(key) ? v.length : 0;
  if (
    key !== undefined && ARGS_KEYS.has(key) && v && typeof v === "object" && !Array.isArray(v)
  ) {
    return Object.keys(v).length ? JSON.stringify(v).length : 0;
  }
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + textChars(x, key), 0);
  if (v && typeof v === "object") {
    let n = 0;
    for (const [k, x] of Object.entries(v)) n += textChars(x, k);
    return n;
  }
  return 0;
}

/** Events that repeat what the deltas before them carried (OpenAI Responses). */
const REPEATS = /\.done$|^response\.(completed|incomplete|failed)$/;

/**
 * Characters of model output one piece of a response carries: for a streamed piece, the text
 * of its server-sent events' JSON data (summaries that repeat earlier deltas left out); for a
 * whole body, the text in it.
 */
export function outputChars(piece: string, streaming: boolean): number {
  const parse = (s: string): unknown => {
    try {
      return JSON.parse(s);
    } catch {
      return undefined; // "[DONE]" and other non-JSON data carry no output
    }
  };
  if (!streaming) return textChars(parse(piece));
  let n = 0;
  for (const event of piece.split(/\r?\n\r?\n/)) {
    const data = event.split(/\r?\n/).filter((l) => l.startsWith("data:"))
      .map((l) => l.slice(5).replace(/^ /, "")).join("\n");
    if (!data) continue;
    const v = parse(data) as { type?: unknown } | undefined;
    if (v && typeof v.type === "string" && REPEATS.test(v.type)) continue;
    n += textChars(v);
  }
  return n;
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;

/**
 * The pauses before each piece of one exchange's response under a model timing, drawn from a
 * PRNG seeded by `seed` (so the same exchange and seed always give the same pauses).
 */
export function exchangeDelays(
  e: TranscriptExchange,
  timing: ModelTiming,
  charsPerToken: number,
  seed: number,
): number[] {
  const dec = new TextDecoder();
  const pieces = responseChunks(e).map((c) => dec.decode(c));
  const chars = pieces.map((p) => outputChars(p, e.streaming));
  const delays = pieces.map(() => 0);
  const first = chars.findIndex((n) => n > 0);
  if (first < 0) return delays; // nothing generated: no model time
  const rand = seededRandom(seed);
  const ttft = timing.ttftMs * Math.exp(timing.ttftSigma * normalDraw(rand));
  const speed = timing.tokensPerS * Math.exp(timing.speedSigma * normalDraw(rand));
  const msFor = (n: number) => n / charsPerToken / speed * 1000;
  if (!e.streaming) {
    delays[0] = round1(ttft + msFor(chars[0]));
    return delays;
  }
  delays[first] = round1(ttft);
  // log-normal jitter with mean 1, so a call's pauses add up to its tokens at its speed
  const s = timing.gapSigma;
  for (let i = first + 1; i < pieces.length; i++) {
    if (chars[i] === 0) continue;
    delays[i] = round1(msFor(chars[i]) * Math.exp(s * normalDraw(rand) - s * s / 2));
  }
  return delays;
}

/**
 * The transcript with the profile's pauses on every model call (exchanges that are not model
 * calls, or of no known provider, get none), and `timing` saying which profile and seed.
 */
export function timeTranscript(t: Transcript, profile: TimingProfile, seed: number): Transcript {
  const exchanges = t.exchanges.map((e, i) => {
    const route = routeRequest(e.method, e.path);
    const provider = e.provider ?? route.provider;
    if (route.action !== "generate" || !provider) {
      const { delaysMs: _none, ...rest } = e;
      return rest;
    }
    return {
      ...e,
      delaysMs: exchangeDelays(
        e,
        profile.providers[provider],
        profile.charsPerToken,
        mixSeed(seed, i),
      ),
    };
  });
  return { ...t, timing: `${profile.name}, seed ${seed}: ${profile.description}`, exchanges };
}

/** Sums of one transcript's pauses: model time in all, and the time to first token per call. */
export function timingSummary(t: Transcript): { calls: number; totalMs: number; ttftMs: number[] } {
  const timed = t.exchanges.filter((e) => e.delaysMs?.some((d) => d > 0));
  const dec = new TextDecoder();
  const ttftMs = timed.map((e) => {
    const pieces = responseChunks(e).map((c) => dec.decode(c));
    const first = pieces.findIndex((p) => outputChars(p, e.streaming) > 0);
    return e.delaysMs!.slice(0, first + 1).reduce((a, b) => a + b, 0);
  });
  const totalMs = timed.reduce((n, e) => n + e.delaysMs!.reduce((a, b) => a + b, 0), 0);
  return { calls: timed.length, totalMs, ttftMs };
}
