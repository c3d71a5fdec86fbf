/**
 * Asking an OpenAI-compatible Chat Completions endpoint (OpenAI, vLLM, Ollama, llama.cpp
 * server) through the `openai` SDK, with retries and exponential backoff on failures worth
 * retrying (connection errors, timeouts, 408, 409, 429, 5xx) and none on the others.
 */
import OpenAI from "openai";
import type { ChatMessage } from "./prompt.ts";
import { errorLine } from "../../kit/cli.ts";

export interface EndpointOptions {
  baseURL: string;
  apiKey: string;
  /** PEM file of a CA to trust (self-signed local servers) */
  caCert?: string;
  /** per-request timeout; default 120 s */
  timeoutMs?: number;
}

export interface AskOptions {
  model: string;
  /** retries after the first attempt; default 3 */
  retries?: number;
  /** first backoff; doubled each retry, plus up to as much jitter; default 500 ms */
  backoffMs?: number;
  /** ask for a JSON object (`response_format`); default true */
  jsonMode?: boolean;
  maxOutputTokens?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface Answer {
  text: string;
  model: string;
  inputTokens: number | null;
  outputTokens: number | null;
  cachedInputTokens: number | null;
  latencyMs: number;
  attempts: number;
}

export class ObserverRequestError extends Error {
  constructor(message: string, readonly attempts: number) {
    super(message);
  }
}

export function makeClient(o: EndpointOptions): OpenAI {
  const fetchOptions = o.caCert
    ? { client: Deno.createHttpClient({ caCerts: [caCertText(o.caCert)] }) }
    : undefined;
  return new OpenAI({
    baseURL: o.baseURL,
    apiKey: o.apiKey,
    maxRetries: 0,
    timeout: o.timeoutMs ?? 120_000,
    ...(fetchOptions ? { fetchOptions } : {}),
  });
}

/** The CA file's text, or one line naming it (`--ca-cert`) and why it cannot be read. */
function caCertText(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    throw new Error(`--ca-cert ${path}: cannot read it (${errorLine(e)})`);
  }
}

/** Whether a failed request is worth another try. */
export function retryable(e: unknown): boolean {
  if (e instanceof OpenAI.APIConnectionError) return true; // includes timeouts
  if (e instanceof OpenAI.APIError) {
    const s = e.status ?? 0;
    return s === 408 || s === 409 || s === 429 || s >= 500;
  }
  return false;
}

function describe(e: unknown): string {
  if (e instanceof OpenAI.APIError && e.status) {
    return `HTTP ${e.status}: ${e.message.split("\n")[0]}`;
  }
  return (e as Error)?.message?.split("\n")[0] ?? String(e);
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One verdict request, retried as needed. */
export async function ask(
  client: OpenAI,
  messages: ChatMessage[],
  opts: AskOptions,
): Promise<Answer> {
  const retries = opts.retries ?? 3;
  const base = opts.backoffMs ?? 500;
  const sleep = opts.sleep ?? realSleep;
  for (let attempt = 1;; attempt++) {
    const t0 = performance.now();
    try {
      const r = await client.chat.completions.create({
        model: opts.model,
        messages,
        temperature: 0,
        ...(opts.maxOutputTokens ? { max_tokens: opts.maxOutputTokens } : {}),
        ...(opts.jsonMode === false ? {} : { response_format: { type: "json_object" as const } }),
      });
      const text = r.choices?.[0]?.message?.content ?? "";
      return {
        text,
        model: r.model || opts.model,
        inputTokens: r.usage?.prompt_tokens ?? null,
        outputTokens: r.usage?.completion_tokens ?? null,
        cachedInputTokens: r.usage?.prompt_tokens_details?.cached_tokens ?? null,
        latencyMs: performance.now() - t0,
        attempts: attempt,
      };
    } catch (e) {
      if (attempt > retries || !retryable(e)) {
        throw new ObserverRequestError(
          `${describe(e)}${attempt > 1 ? ` (after ${attempt} attempts)` : ""}`,
          attempt,
        );
      }
      const wait = base * 2 ** (attempt - 1);
      await sleep(wait + Math.random() * wait);
    }
  }
}
