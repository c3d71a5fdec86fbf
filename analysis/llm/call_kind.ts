/**
 * Tells an agent's real conversation turns ("main" calls) from its side calls: a warm-up that
 * asks for no output (OpenAI Responses `generate: false`), a request that asks for structured
 * JSON output (the Gemini CLI's router with `complexity_score`, its next-speaker and loop
 * checks, any other schema) or that offers no tools (title and summary calls). Judged from
 * the request alone.
 */
import { isObj, type RequestInfo } from "./shapes.ts";

/** Which side call a request is. */
export type SideKind =
  | "router"
  | "next-speaker"
  | "loop-check"
  | "structured"
  | "title"
  | "no-tools"
  | "warmup";

export interface CallKind {
  kind: "main" | "side";
  side?: SideKind;
}

function schemaProps(schema: unknown): string[] {
  return isObj(schema) && isObj(schema.properties) ? Object.keys(schema.properties) : [];
}

/**
 * The side call a request is by what it asks for, or undefined for a main turn: the rules the
 * analysis and the scripted model server (lab/simulator/request_kind.ts) share. `tools`: how
 * many tools it offers; `mentionsTitle`: whether its first texts speak of a title.
 */
export function sideCallOf(req: {
  wantsJson: boolean;
  jsonSchema?: unknown;
  tools: number;
  mentionsTitle: () => boolean;
}): SideKind | undefined {
  if (req.wantsJson) {
    const props = schemaProps(req.jsonSchema);
    if (props.includes("complexity_score") || props.includes("model_choice")) return "router";
    if (props.includes("next_speaker")) return "next-speaker";
    if (props.some((p) => p.startsWith("unproductive_state"))) return "loop-check";
    return "structured";
  }
  if (req.tools === 0) return req.mentionsTitle() ? "title" : "no-tools";
  return undefined;
}

export function callKind(req: RequestInfo): CallKind {
  if (req.warmup) return { kind: "side", side: "warmup" };
  const side = sideCallOf({
    wantsJson: req.wantsJson,
    jsonSchema: req.jsonSchema,
    tools: req.toolsOffered,
    mentionsTitle: () => /\btitle\b/i.test(req.leadText.slice(0, 2000)),
  });
  return side ? { kind: "side", side } : { kind: "main" };
}

/**
 * User-Agent product names that name a library or runtime, not the program using it, and that
 * no rule below catches: HTTP clients, model SDKs, runtimes, browsers (Electron apps send
 * `Mozilla/5.0`). Compared in lower case. The rules (genericProduct) catch the rest by what
 * the name says, so a client or SDK missing here is not taken for an agent.
 */
export const GENERIC_PRODUCTS: readonly string[] = [
  "undici",
  "axios",
  "got",
  "ky",
  "bun",
  "deno",
  "httpx",
  "aiohttp",
  "curl",
  "libcurl",
  "wget",
  "reqwest",
  "hyper",
  "okhttp",
  "dart",
  "mozilla",
  "guzzlehttp",
  "faraday",
  "ureq",
  "superagent",
  "libwww-perl",
  "httpie",
  "postmanruntime",
  "boto3",
  "botocore",
  "urllib3",
  // Python's httplib2 (its default `Python-httplib2/0.22.0 (gzip)`; a library's major
  // version joined to its name is its name: `okhttp3`) and httpcore, httpx's transport
  "httplib",
  "httpcore",
];

/**
 * The product tokens model SDKs send as documented, whole (compared in lower case): OpenAI's
 * (`OpenAI/JS 5.20.1`, `OpenAI/v1 PythonBindings/0.28.1`, `AsyncOpenAI/Python 1.40.0`,
 * `AzureOpenAI/v1`), Anthropic's, Groq's, Mistral's, Cohere's, Ollama's and the other
 * vendors'. Only the whole name: a product that starts with a vendor's name and goes on
 * (`mistral-vibe`, `anthropic-agent`) is a program of its own.
 */
export const SDK_PRODUCTS: readonly string[] = [
  "openai",
  "asyncopenai",
  "azureopenai",
  "asyncazureopenai",
  "anthropic",
  "asyncanthropic",
  "anthropicbedrock",
  "anthropicvertex",
  "groq",
  "asyncgroq",
  "mistral",
  "mistralai",
  "cohere",
  "ollama",
  "together",
  "fireworks",
  "litellm",
  "langchain",
  "llamaindex",
  "llama-index",
  "google-genai",
  "vertexai",
  "bedrock",
];

/**
 * SDK product tokens that name an SDK only as the whole name, not as a name's last word: the
 * Vercel AI SDK, npm package `ai`, leads with `ai/5.0.30 @ai-sdk/provider/2.0.0 ...` (its
 * `buildUserAgent`), while `acme-ai` is a program of its own.
 */
const WHOLE_SDK_PRODUCTS: readonly string[] = ["ai"];

/** A language's or runtime's own name (`Ruby`, `Java/21`, `CPython/3.11`, `Node.js/22`). */
const LANGUAGE_NAME =
  /^(c?python\d*|java.*|ruby|php|perl|swift|rust|node|node\.?js|go|golang|dotnet|\.net|kotlin|scala|elixir|erlang|lua)$/;

/**
 * The last word of a library's name, by what it says it is (`Go-http-client`, `node-fetch`,
 * `google-genai-sdk`, `some-http-lib`, `PythonBindings`): a client, an SDK, an HTTP or fetch
 * or requests library, bindings; as a suffix of the word too (`fancyrequests`,
 * `MyHttpClient`).
 */
const LIBRARY_NOUN = /(client|sdk|https?|fetch|requests?|bindings|grpc|urllib\d*)$|^(lib|library)$/;

/**
 * The last word of a library named after its language (`ollama-js`, `gl-python`, `lib-go`,
 * a Rust crate's `ollama-rs`, `grpc-c++`, .NET's `-cs`, `-net`), or a JavaScript package's
 * name with `js` joined on (`langchainjs`, `openaijs`).
 */
const LANGUAGE_WORD =
  /^(js|javascript|typescript|ts|node|nodejs|python|py|go|golang|java|ruby|rb|php|rust|rs|dotnet|net|cs|csharp|c\+\+|cpp|swift|kotlin|dart|scala|elixir)$|^[a-z0-9]+js$/;

/**
 * The product gRPC's libraries send, as gRPC's wire protocol documents it: `grpc-` Language
 * [`-` Variant] (`grpc-java-netty/1.60.0`, `grpc-python-asyncio/1.62.0`, `grpc-c++/1.60.0`).
 */
const GRPC_PRODUCT = /^grpc-/;

/**
 * A company's name as its SDKs spell it, with `ai` after the vendor's (`together-ai`,
 * `mistral-ai`): the vendor's SDK, as the vendor's name alone is.
 */
const VENDOR_AI = /[-_.]ai$/;

/** The version part of a product that names a language: an SDK's `Name/JS 1.2.3`. */
const LANGUAGE_VERSION =
  /^(js|javascript|typescript|node|nodejs|python|go|java|kotlin|ruby|php|csharp|dotnet|rust|swift)$/i;

/**
 * The Azure SDKs' product, as their telemetry policy documents it:
 * `azsdk-<language>-<package>/<version>` (an application's own id, when given, leads instead).
 */
const AZURE_SDK = /^azsdk-/;

/**
 * Whether a User-Agent's leading product names a library or runtime rather than a program.
 * RFC 9110 says a product token names the software (its most significant part first); an
 * SDK's or HTTP client's names the library. So, by the whole name: listed (GENERIC_PRODUCTS,
 * SDK_PRODUCTS) or a language's or runtime's name; by the name's last word (split at `-`, `_`,
 * `.`; a major version's, `-v2`, skipped), which says what the thing is: a library's noun
 * (LIBRARY_NOUN), a language (`-js`, `-python`), a listed client (`python-httpx`) or a model
 * vendor's SDK (`async-openai`, `azsdk-net-AI.OpenAI`: a vendor's client in a language); or
 * by the Azure SDKs' documented `azsdk-` prefix, gRPC's documented `grpc-<language>` or a
 * vendor's company name (`together-ai`); or by its version, a language's
 * name (the SDKs' `Name/JS 1.2.3` format). A word inside a name (`acme-http-agent`), or a
 * vendor's name first (`mistral-vibe`), says nothing of what the program is.
 */
export function genericProduct(name: string, version: string | undefined): boolean {
  const lower = name.toLowerCase();
  // the last word, a major version's (`aws-sdk-go-v2`) skipped
  const words = lower.split(/[-_.]/).filter((w) => w !== "");
  // (a name made only of a version's word, `v2`, is its own last word)
  const last = (/^v\d+$/.test(words.at(-1) ?? "") ? words.at(-2) : words.at(-1)) ?? lower;
  return GENERIC_PRODUCTS.includes(lower) || SDK_PRODUCTS.includes(lower) ||
    WHOLE_SDK_PRODUCTS.includes(lower) || LANGUAGE_NAME.test(lower) || AZURE_SDK.test(lower) ||
    GRPC_PRODUCT.test(lower) ||
    (VENDOR_AI.test(lower) && SDK_PRODUCTS.includes(lower.replace(VENDOR_AI, ""))) ||
    LIBRARY_NOUN.test(last) || GENERIC_PRODUCTS.includes(last.replace(/\d+$/, "")) ||
    LANGUAGE_WORD.test(last) || GENERIC_PRODUCTS.includes(last) || SDK_PRODUCTS.includes(last) ||
    (version !== undefined && LANGUAGE_VERSION.test(version));
}

/** A product name (RFC 9110 token) leading a User-Agent, and the word after its `/`. */
const LEADING_PRODUCT = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]{1,64})(?:\/([^\s/;()]*))?(?=[\s/;(]|$)/;

/**
 * The agent a request comes from, by its User-Agent: the known agents by their own names
 * (`claude-cli/...` is `claude-code`), any other by the product name its User-Agent leads
 * with (`Kimi-CLI/1.2 (linux)` is `Kimi-CLI`), unless that names an HTTP client, a model
 * SDK or a runtime (genericProduct): then null, and the analysis names the calling
 * process's program instead (sql/llm_call_agents.sql).
 */
export function agentOf(userAgent: string | undefined): string | null {
  if (!userAgent) return null;
  if (/claude-cli|claude-code/i.test(userAgent)) return "claude-code";
  if (/gemini-?cli/i.test(userAgent)) return "gemini-cli";
  if (/codex/i.test(userAgent)) return "codex";
  if (/^opencode\//i.test(userAgent)) return "opencode";
  if (/QwenCode|qwen-code/i.test(userAgent)) return "qwen-code";
  if (/^kilo\//i.test(userAgent)) return "kilo-code";
  if (/^factory-cli\//i.test(userAgent)) return "factory-droid";
  const m = LEADING_PRODUCT.exec(userAgent);
  if (!m) return null;
  const [, name, version] = m;
  return genericProduct(name, version || undefined) ? null : name;
}
