/**
 * `deno task label RECORDING... [-- options]`: asks an observer LLM (any OpenAI-compatible
 * Chat Completions endpoint: OpenAI, vLLM, Ollama, llama.cpp server) for a verdict on each
 * session's correlated trace and stores it in the recording's `labels` table.
 *
 *   --base-url URL   endpoint (env SIGHTLINE_OBSERVER_BASE_URL, OPENAI_BASE_URL;
 *                    default https://api.openai.com/v1)
 *   --model NAME     observer model (env SIGHTLINE_OBSERVER_MODEL; default gpt-4.1-mini)
 *   --api-key KEY    (env SIGHTLINE_OBSERVER_API_KEY, OPENAI_API_KEY; local endpoints need none)
 *   --ca-cert FILE   trust this CA (a local server with its own certificate)
 *   --concurrency N  sessions asked at once (default 4)
 *   --retries N      retries per request, with exponential backoff (default 3)
 *   --max-trace-tokens N  token budget of each trace (default 6000)
 *   --no-findings    leave the rule-based findings out of the trace
 *   --no-json-mode   do not send response_format (servers that reject it)
 *   --cache-dir DIR  answer cache (default .cache/observer); --no-cache to skip it
 *   --dry-run        print the prompts and stop
 *
 * Exit code: 0 when every session got a verdict, 1 when some did not (malformed answer,
 * failed request, unreadable recording), 2 for bad usage.
 */
import {
  intOption,
  onceEach,
  parseCommand,
  runCommand,
  stopOnSignals,
  usageError,
  userPath,
} from "../../kit/cli.ts";
import { type LabelOptions, runLabel } from "./label.ts";

export function parseLabelArgs(args: string[], env = Deno.env.toObject()): LabelOptions {
  const p = parseCommand(args, {
    "base-url": { type: "string" },
    model: { type: "string" },
    "api-key": { type: "string" },
    "ca-cert": { type: "string" },
    concurrency: { type: "string", default: "4" },
    retries: { type: "string", default: "3" },
    "max-trace-tokens": { type: "string", default: "6000" },
    "no-findings": { type: "boolean", default: false },
    "no-json-mode": { type: "boolean", default: false },
    "cache-dir": { type: "string" },
    "no-cache": { type: "boolean", default: false },
    "dry-run": { type: "boolean", default: false },
  });
  const v = p.values;
  const recordings = p.positionals.filter((x) => x !== "--").map(userPath);
  if (recordings.length === 0) throw usageError("give at least one recording directory");
  onceEach(recordings);
  // the whole-number rule of every command (kit/cli.ts); the options have defaults
  const whole = (name: string, s: string, min: number) => intOption(name, s, min)!;
  const baseURL = v["base-url"] ?? env.SIGHTLINE_OBSERVER_BASE_URL ?? env.OPENAI_BASE_URL ??
    "https://api.openai.com/v1";
  try {
    new URL(baseURL);
  } catch {
    throw usageError(`--base-url: not a URL: ${baseURL}`);
  }
  const apiKey = v["api-key"] ?? env.SIGHTLINE_OBSERVER_API_KEY ?? env.OPENAI_API_KEY;
  if (!apiKey && new URL(baseURL).hostname === "api.openai.com" && !v["dry-run"]) {
    throw usageError("api.openai.com needs a key: --api-key or OPENAI_API_KEY");
  }
  return {
    recordings,
    endpoint: {
      baseURL,
      apiKey: apiKey ?? "sk-no-key",
      caCert: v["ca-cert"] && userPath(v["ca-cert"]),
    },
    model: v.model ?? env.SIGHTLINE_OBSERVER_MODEL ?? "gpt-4.1-mini",
    concurrency: whole("concurrency", v.concurrency, 1),
    retries: whole("retries", v.retries, 0),
    maxTraceTokens: whole("max-trace-tokens", v["max-trace-tokens"], 500),
    findings: !v["no-findings"],
    jsonMode: !v["no-json-mode"],
    cacheDir: v["no-cache"] ? null : v["cache-dir"] && userPath(v["cache-dir"]),
    dryRun: v["dry-run"],
  };
}

/** Runs labelling; returns the exit code. */
export async function run(opts: LabelOptions): Promise<number> {
  const r = await runLabel(opts);
  const bad = r.rows.filter((x) => x.status !== "ok").length;
  return bad === 0 && r.failedRecordings.length === 0 ? 0 : 1;
}

const USAGE = "usage: deno task label [--base-url URL] [--model NAME] [--api-key KEY] " +
  "[--ca-cert FILE] [--concurrency N] [--retries N] [--max-trace-tokens N] [--no-findings] " +
  "[--no-json-mode] [--cache-dir DIR | --no-cache] [--dry-run] RECORDING...";

if (import.meta.main) {
  // Ctrl-C: its temporary files go, what it wrote before stays (kit/cli.ts removeOnStop)
  stopOnSignals("label");
  await runCommand("label", USAGE, async (args) => await run(parseLabelArgs(args)));
}
