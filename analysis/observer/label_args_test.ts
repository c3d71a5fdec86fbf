/**
 * The command line of `deno task label`: the defaults, the endpoint, model and key from the
 * options or else the environment, and each bad input a usage error of one line (exit 2).
 */
import assert from "node:assert/strict";
import { userPath } from "../../kit/cli.ts";
import { assertUsageErrors } from "../../kit/cli_testing.ts";
import { parseLabelArgs } from "./label_args.ts";

Deno.test("label args: defaults", () => {
  const o = parseLabelArgs(["--", "rec", "--api-key", "k"], {});
  assert.deepEqual(o.recordings, [userPath("rec")]);
  assert.deepEqual(o.endpoint, {
    baseURL: "https://api.openai.com/v1",
    apiKey: "k",
    caCert: undefined,
  });
  assert.equal(o.model, "gpt-4.1-mini");
  assert.deepEqual([o.concurrency, o.retries, o.maxTraceTokens], [4, 3, 6000]);
  assert.deepEqual([o.findings, o.jsonMode, o.dryRun], [true, true, false]);
  assert.equal(o.cacheDir, undefined, "label.ts's default cache");
  assert.equal(parseLabelArgs(["rec", "--no-cache", "--api-key", "k"], {}).cacheDir, null);
  assert.equal(
    parseLabelArgs(["rec", "--dry-run"], {}).endpoint.apiKey,
    "sk-no-key",
    "a dry run asks nothing: no key needed",
  );
});

Deno.test("label args: options, else the environment", () => {
  const o = parseLabelArgs([
    "rec",
    "--base-url",
    "http://127.0.0.1:11434/v1",
    "--model",
    "llama3",
    "--ca-cert",
    "ca.pem",
    "--cache-dir",
    "cache",
    "--concurrency",
    "2",
    "--retries",
    "0",
    "--no-findings",
    "--no-json-mode",
  ], {});
  assert.equal(o.endpoint.baseURL, "http://127.0.0.1:11434/v1");
  assert.equal(o.model, "llama3");
  assert.equal(o.endpoint.apiKey, "sk-no-key", "local endpoints need no key");
  assert.equal(o.endpoint.caCert, userPath("ca.pem"));
  assert.equal(o.cacheDir, userPath("cache"));
  assert.deepEqual([o.concurrency, o.retries, o.findings, o.jsonMode], [2, 0, false, false]);
  const env = parseLabelArgs(["rec"], {
    SIGHTLINE_OBSERVER_BASE_URL: "http://vllm:8000/v1",
    SIGHTLINE_OBSERVER_MODEL: "qwen",
    OPENAI_API_KEY: "sk-x",
  });
  assert.deepEqual([env.endpoint.baseURL, env.model, env.endpoint.apiKey], [
    "http://vllm:8000/v1",
    "qwen",
    "sk-x",
  ]);
  const ours = parseLabelArgs(["rec"], {
    SIGHTLINE_OBSERVER_API_KEY: "sk-ours",
    OPENAI_API_KEY: "sk-x",
  });
  assert.equal(ours.endpoint.apiKey, "sk-ours", "the observer's own key first");
  // set empty is unset: the next source, not "" (not a URL) nor an empty key or model
  const empty = parseLabelArgs(["rec"], {
    SIGHTLINE_OBSERVER_BASE_URL: "",
    OPENAI_BASE_URL: "",
    SIGHTLINE_OBSERVER_MODEL: "",
    SIGHTLINE_OBSERVER_API_KEY: "",
    OPENAI_API_KEY: "sk-x",
  });
  assert.deepEqual([empty.endpoint.baseURL, empty.model, empty.endpoint.apiKey], [
    "https://api.openai.com/v1",
    "gpt-4.1-mini",
    "sk-x",
  ]);
  const local = parseLabelArgs(["rec"], { OPENAI_BASE_URL: "http://127.0.0.1:8080/v1" });
  assert.equal(local.endpoint.baseURL, "http://127.0.0.1:8080/v1");
  assert.throws(
    () => parseLabelArgs(["rec"], { OPENAI_BASE_URL: "", OPENAI_API_KEY: "" }),
    /^Error: api\.openai\.com needs a key/,
  );
});

Deno.test("label args: each bad input is one line and exit 2", () => {
  const bad: [string[], RegExp][] = [
    [[], /^give at least one recording directory$/],
    [["rec"], /^api\.openai\.com needs a key: --api-key or OPENAI_API_KEY$/],
    [["rec", "--concurrency", "0", "--api-key", "k"], /^--concurrency wants a whole number from 1/],
    [["rec", "--retries", "x", "--api-key", "k"], /^--retries wants a whole number, got "x"$/],
    [["rec", "--max-trace-tokens", "100", "--api-key", "k"], /--max-trace-tokens .* from 500/],
    [["rec", "--base-url", "nope"], /^--base-url: not a URL: nope$/],
    [["rec", "rec", "--api-key", "k"], /rec is given twice/],
    [["rec", "--bogus"], /Unknown option '--bogus'/],
    // a directory where the CA's file is wanted, a file where the cache's directory is
    [["rec", "--dry-run", "--ca-cert", "/tmp"], /^--ca-cert \/tmp is a directory$/],
    [["rec", "--dry-run", "--cache-dir", "/etc/hostname"], /^--cache-dir \S+ is not a directory$/],
  ];
  assertUsageErrors((args) => parseLabelArgs(args, {}), bad);
});
