/**
 * The command line of `deno task label` (analysis/observer/label_main.ts) read into the options
 * of label.ts: the recordings (each once, as the user's paths), the observer's endpoint, model
 * and key (each from its option, else the environment, else the default), and the whole-number
 * limits. Each bad input is a usage error of one line (exit 2), among them a missing key for
 * api.openai.com (unless only the prompts are printed).
 */
import { intOption, onceEach, parseCommand, usageError, userPath } from "../../kit/cli.ts";
import type { LabelOptions } from "./label.ts";

export const USAGE = "usage: deno task label [--base-url URL] [--model NAME] [--api-key KEY] " +
  "[--ca-cert FILE] [--concurrency N] [--retries N] [--max-trace-tokens N] [--no-findings] " +
  "[--no-json-mode] [--cache-dir DIR | --no-cache] [--dry-run] RECORDING...";

/** Parses the command line; `env`: where the endpoint, model and key come from when not given. */
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
  // an environment variable set empty (`OPENAI_BASE_URL=""`) counts as unset; a flag given
  // empty is a usage error (parseCommand)
  const baseURL = v["base-url"] ??
    (env.SIGHTLINE_OBSERVER_BASE_URL || env.OPENAI_BASE_URL || "https://api.openai.com/v1");
  try {
    new URL(baseURL);
  } catch {
    throw usageError(`--base-url: not a URL: ${baseURL}`);
  }
  const apiKey = v["api-key"] ??
    (env.SIGHTLINE_OBSERVER_API_KEY || env.OPENAI_API_KEY || undefined);
  if (!apiKey && new URL(baseURL).hostname === "api.openai.com" && !v["dry-run"]) {
    throw usageError("api.openai.com needs a key: --api-key or OPENAI_API_KEY");
  }
  return {
    recordings,
    endpoint: {
      baseURL,
      apiKey: apiKey ?? "sk-no-key",
      caCert: v["ca-cert"] && userPath(notDir("ca-cert", v["ca-cert"], "a directory", true)),
    },
    model: v.model ?? (env.SIGHTLINE_OBSERVER_MODEL || "gpt-4.1-mini"),
    concurrency: whole("concurrency", v.concurrency, 1),
    retries: whole("retries", v.retries, 0),
    maxTraceTokens: whole("max-trace-tokens", v["max-trace-tokens"], 500),
    findings: !v["no-findings"],
    jsonMode: !v["no-json-mode"],
    cacheDir: v["no-cache"]
      ? null
      : v["cache-dir"] && userPath(notDir("cache-dir", v["cache-dir"], "not a directory", false)),
    dryRun: v["dry-run"],
  };
}

/**
 * `path` as given, or a usage error when it is there and is a directory (`dir`: a file was
 * wanted) or is not one (a directory was wanted): said before any request is made and paid for.
 */
function notDir(name: string, path: string, what: string, dir: boolean): string {
  let isDir: boolean | null = null;
  try {
    isDir = Deno.statSync(userPath(path)).isDirectory;
  } catch { /* not there: a file is said when it is read; a directory is made */ }
  if (isDir === dir) throw usageError(`--${name} ${path} is ${what}`);
  return path;
}
