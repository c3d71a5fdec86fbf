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
import { runCommand, stopOnSignals } from "../../kit/cli.ts";
import { type LabelOptions, runLabel } from "./label.ts";
import { parseLabelArgs, USAGE } from "./label_args.ts";

/** Runs labelling; returns the exit code. */
export async function run(opts: LabelOptions): Promise<number> {
  const r = await runLabel(opts);
  const bad = r.rows.filter((x) => x.status !== "ok").length;
  return bad === 0 && r.failedRecordings.length === 0 ? 0 : 1;
}

if (import.meta.main) {
  // Ctrl-C: its temporary files go, what it wrote before stays (kit/cli.ts removeOnStop)
  stopOnSignals("label");
  await runCommand("label", USAGE, async (args) => await run(parseLabelArgs(args)));
}
