/** Main and side calls, judged from the request; agents named from their User-Agent. */
import assert from "node:assert/strict";
import { agentOf, callKind } from "./call_kind.ts";
import { emptyRequest, type RequestInfo } from "./shapes.ts";

const req = (over: Partial<RequestInfo>): RequestInfo => ({ ...emptyRequest(), ...over });
const schema = (...props: string[]) => ({
  type: "object",
  properties: Object.fromEntries(props.map((p) => [p, { type: "string" }])),
});

Deno.test("side calls: router, next speaker, loop check, other schemas, titles, no tools", () => {
  const json = (s: unknown) => req({ wantsJson: true, jsonSchema: s, toolsOffered: 3 });
  assert.deepEqual(callKind(json(schema("complexity_reasoning", "complexity_score"))), {
    kind: "side",
    side: "router",
  });
  assert.deepEqual(callKind(json(schema("reasoning", "next_speaker"))).side, "next-speaker");
  assert.deepEqual(callKind(json(schema("unproductive_state_analysis"))).side, "loop-check");
  assert.deepEqual(callKind(json(schema("answer"))).side, "structured");
  assert.deepEqual(callKind(req({ leadText: "Write a 5-word title for this chat" })).side, "title");
  assert.deepEqual(callKind(req({ leadText: "Summarise" })).side, "no-tools");
  assert.deepEqual(callKind(req({ toolsOffered: 12 })), { kind: "main" });
});

Deno.test("agents by User-Agent", () => {
  assert.equal(agentOf("claude-cli/2.1.330 (external, sdk-cli)"), "claude-code");
  assert.equal(agentOf("GeminiCLI-tui/0.61.0/gemini-3.1-pro-preview (linux; x64)"), "gemini-cli");
  assert.equal(agentOf("codex_exec/0.169.0 (Debian 12; x86_64)"), "codex");
  // as opencode 1.18 and Qwen Code 0.24 send them
  assert.equal(
    agentOf("opencode/1.18.33 ai-sdk/provider-utils/4.0.46 runtime/bun/1.3.14"),
    "opencode",
  );
  assert.equal(agentOf("QwenCode/0.24.4 (linux; x64)"), "qwen-code");
  // as Kilo Code 7.7.9 and Factory Droid 0.225.2 send them
  assert.equal(
    agentOf("kilo/latest/7.7.9/cli ai-sdk/provider-utils/4.0.27 runtime/bun/1.3.14"),
    "kilo-code",
  );
  assert.equal(agentOf("factory-cli/0.225.2"), "factory-droid");
  // Cline 3.0.65: its SDK's only, no agent to name
  assert.equal(
    agentOf("ai-sdk/openai-compatible/3.0.37 ai-sdk/provider-utils/5.0.30 runtime/bun/1.3.13"),
    null,
  );
  assert.equal(agentOf("curl/8.0"), null);
  assert.equal(agentOf(undefined), null);
});

Deno.test("an agent not known by name is its User-Agent's leading product, unless that is an SDK's, an HTTP client's or a runtime's", () => {
  // a product no list holds is named as sent
  assert.equal(agentOf("Kimi-CLI/1.2.0 (linux; x64)"), "Kimi-CLI");
  assert.equal(agentOf("aider/0.86.1"), "aider");
  assert.equal(agentOf("my_agent"), "my_agent");
  // as GitHub Copilot CLI 1.0.102, Pi 0.73.1, Continue CLI 1.5.47 and Nanocoder 1.30.0 sent
  // them (reports/coverage/new_agents.md): their SDK's or HTTP client's only
  for (
    const ua of [
      "OpenAI/JS 5.20.1",
      "Anthropic/JS 0.94.0",
      "OpenAI/JS 6.26.0",
      "google-genai-sdk/1.52.0 gl-node/v20.19.2",
      "node-fetch",
      "ls/JS 5.23.2", // the OpenAI SDK bundled, its class name minified
      "ai-sdk/anthropic/3.0.140 ai-sdk/provider-utils/4.0.27 runtime/node.js/22",
      "Anthropic/Python 0.40.0",
      "python-httpx/0.28.1",
      "Go-http-client/1.1",
      "Bun/1.3.14",
      "axios/1.7.9",
      "Python/3.11 aiohttp/3.9.1",
      "ollama-js/0.5.14 (x64 linux Node.js/v20.19.2)",
      "undici",
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Electron/33.0.0",
      "",
      " ",
      "(no product)",
      "a".repeat(65) + "/1.0", // no product name is that long
    ]
  ) assert.equal(agentOf(ua), null, ua);
});

Deno.test("agentOf: clients, SDKs and runtimes by rule, not only by name (review31a M1)", () => {
  for (
    const ua of [
      // the real defaults of: JDK 11+ HttpClient, openai-python < 1.0, openai-node v3,
      // Ruby's Net::HTTP, gRPC for Node and Python, urllib3, CPython's urllib, rest-client
      "Java-http-client/17.0.9",
      "OpenAI/v1 PythonBindings/0.28.1",
      "OpenAI/NodeJS/3.3.0",
      "Ruby",
      "grpc-node-js/1.12",
      "gl-python/3.12 grpc/1.66",
      "urllib3/2.2.1",
      "CPython/3.11",
      "rest-client/2.1.0 (linux-gnu x86_64) ruby/3.2.2p53",
      // vendor SDKs whatever their version's word
      "AsyncOpenAI/Python 1.40.0",
      "AzureOpenAI/v1",
      "anthropic-typescript/0.30.0",
      "groq/0.9.0",
      "MistralAI-client/1.0",
      "mistralai/1.2.0",
      "cohere/5.0.0",
      // other runtimes and languages
      "PHP/8.2",
      "Perl/5.36",
      "Swift/5.9",
      "rust/1.80",
      "Java/21.0.1",
      "Node.js/22",
      "nodejs/20",
      "Anthropic/NodeJS 0.20.0",
      // names that say what they are: *http*, *client*, *request*, *fetch*, *grpc*, *sdk*,
      // and a language's suffix
      "cross-fetch/4.0",
      "some-http-lib/1.0",
      "fancyrequests/2.0",
      "ollama-js/0.6.4 (x64 linux Node.js/v20.20.2)",
      "ollama-python/0.4.7",
      "lib-go/1.0",
      "thing-java/3",
      "foo-node/1",
      "bar-ruby/2",
    ]
  ) assert.equal(agentOf(ua), null, ua);
  // agents' own names are kept
  for (
    const [ua, want] of [
      ["Kimi-CLI/1.2.0 (linux; x64)", "Kimi-CLI"],
      ["aider/0.86.1", "aider"],
      [
        "Cline/3.0",
        "Cline",
      ],
      ["goose/1.0", "goose"],
      ["crush/0.1", "crush"],
    ]
  ) assert.equal(agentOf(ua), want, ua);
});

Deno.test("agentOf: an agent whose product has a library's word inside, or a vendor's name first, is named by it (names32 gap 1)", () => {
  for (
    const [ua, want] of [
      ["acme-http-agent/1.2", "acme-http-agent"],
      ["sdk-runner/2.0 (linux; x64)", "sdk-runner"],
      ["clientele/0.4", "clientele"],
      ["HttpPilot/3.1.0", "HttpPilot"],
      ["mistral-vibe/1.0.0", "mistral-vibe"],
      ["anthropic-agent/0.9 node/22", "anthropic-agent"],
      ["openai-helper-cli/0.3.1", "openai-helper-cli"],
      ["groq-code-cli/1.4.0", "groq-code-cli"],
      ["ollama-agent/0.1", "ollama-agent"],
      ["cohere-toolkit/1.0", "cohere-toolkit"],
    ]
  ) assert.equal(agentOf(ua), want, ua);
  // the SDKs and clients such names resemble stay unnamed: by their documented tokens, their
  // last word, or their language version
  for (
    const ua of [
      "OpenAI/Python 1.99.0",
      "Mistral/1.0",
      "MistralAI-client/1.0",
      "acme-http-client/1.2",
      "acme-sdk/3",
      "llama-index/0.10",
      "python-requests/2.32.3",
      "Python-urllib/3.12",
      "MyHttpClient/1.0",
      // the documented formats of AWS's, Azure's and Apache's clients, a Rust binding
      "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22",
      "aws-sdk-js/3.600.0 ua/2.0 os/linux#6.1 lang/js md/nodejs#20.11.0",
      "azsdk-net-AI.OpenAI/2.1.0 (.NET 8.0.7; Ubuntu 22.04)",
      "azsdk-js-ai-inference/1.0.0-beta.2 core-rest-pipeline/1.16.0 Node/v20.11.0 OS/(x64-Linux)",
      "Apache-HttpClient/4.5.14 (Java/17.0.9)",
      "async-openai/0.23.4",
    ]
  ) assert.equal(agentOf(ua), null, ua);
  // and the libraries' documented tokens and families (review32a M3): httplib2's and
  // httpcore's, gRPC's `grpc-<language>[-<variant>]`, a Rust crate's `-rs`, a JavaScript
  // package's joined `js`, a vendor's company name, the Vercel AI SDK's `ai`, a library's
  // major version joined to its name
  for (
    const ua of [
      "Python-httplib2/0.22.0 (gzip)",
      "httplib2/0.22",
      "httpcore/1.0",
      "grpc-java-netty/1.60.0",
      "grpc-python-asyncio/1.62.0",
      "grpc-c++/1.60.0",
      "grpc-go/1.64.0",
      "ollama-rs/0.2",
      "langchainjs/0.3",
      "together-ai/0.1",
      "mistral-ai/1.0",
      "ai/5.0.30 @ai-sdk/provider/2.0.0 @ai-sdk/provider-utils/3.0.7 node/20.11.1 os/darwin arch/arm64",
      "ai/5.0.10 ai-sdk/openai/2.0.10 ai-sdk/provider-utils/3.0.5 runtime/node.js/22",
      "okhttp3/4.12",
    ]
  ) assert.equal(agentOf(ua), null, ua);
  // while programs that end so only by chance keep their names
  for (
    const [ua, want] of [
      ["acme-ai/1.0", "acme-ai"],
      ["grpcurl-agent/1.0", "grpcurl-agent"],
      ["aider/0.86.1", "aider"],
    ]
  ) assert.equal(agentOf(ua), want, ua);
  // an application's own id leading an SDK's product is the application's
  assert.equal(agentOf("acme-agent azsdk-js-ai-inference/1.0.0"), "acme-agent");
});
