/**
 * Routing for the model server: which API a request is for and what it asks (a model call, a
 * token count, a model listing), by the analysis' own route table (analysis/llm/route.ts, so
 * that what the server answers is what the analysis reads as a call), plus the connectivity
 * probes agents send before they start.
 */

import {
  type ApiRoute,
  pathOf,
  type Platform,
  type Provider,
  routeApi,
} from "../../analysis/llm/route.ts";

/** Which API a request is for, from its method and path. */
export interface Route {
  provider?: Provider;
  /** a model call's endpoint */
  endpoint?: ApiRoute["endpoint"];
  /** Gemini, Vertex, Bedrock: model from the path; stream from the method name or path. */
  model?: string;
  stream?: boolean;
  /** the cloud whose route this is (Vertex AI, Bedrock, Azure), when not the provider's own */
  platform?: Platform;
  /** "generate" (model call), "count" (token counting), "models" (listing), "probe" (HEAD). */
  action: "generate" | "count" | "models" | "probe" | "unknown";
  sse?: boolean;
}

/** Routes a request by method and path. */
export function routeRequest(method: string, url: string): Route {
  const path = pathOf(url);
  // Connectivity checks: Claude Code sends `HEAD /` or `HEAD /api/hello` before it starts.
  if (method === "HEAD" || (method === "GET" && ["/", "", "/api/hello"].includes(path))) {
    return { action: "probe" };
  }
  const r = routeApi(method, url);
  if (!r) return { action: "unknown" };
  if (r.action !== "generate" || r.provider !== "gemini") {
    return {
      provider: r.provider,
      action: r.action,
      ...(r.action === "generate" ? { endpoint: r.endpoint } : {}),
      ...(r.model ? { model: r.model } : {}),
      ...(r.action === "generate" && r.stream !== undefined ? { stream: r.stream } : {}),
      ...(r.platform ? { platform: r.platform } : {}),
    };
  }
  const query = new URLSearchParams(url.slice(path.length + 1));
  return {
    provider: "gemini",
    endpoint: r.endpoint,
    model: r.model,
    stream: r.endpoint === "streamGenerateContent",
    sse: query.get("alt") === "sse",
    action: "generate",
  };
}
