/**
 * What the OTLP endpoint answered, judged by the OTLP/HTTP specification rather than by the
 * status code alone. The official exporter (`@opentelemetry/otlp-exporter-base`) takes any 2xx
 * as delivered, whatever its body; retries 429, 502, 503 and 504 (honouring `Retry-After`) up to
 * 5 times within the export timeout, then fails with "Export failed with retryable status",
 * naming neither the status nor the wait; and reports a partial success, or a body it cannot
 * decode, only through the API's diagnostic logger. The specification says more: a success
 * carries an `Export<signal>ServiceResponse` with the `Content-Type` of the request
 * (`application/x-protobuf` or `application/json`). So a 200 with an HTML page (a proxy's login
 * or error page, a web server that answers every POST) is not a collector's: nothing says the
 * spans arrived.
 *
 * The exporter's responses are seen through Node's `http.client.response.finish` diagnostics
 * channel (Deno publishes it too), for the requests to the endpoint only, while an export runs.
 */
import dc from "node:diagnostics_channel";

/** One answer of the endpoint: its status, media type and Retry-After. */
export interface OtlpAnswer {
  status: number;
  /** the Content-Type's media type, lower case, without parameters ("" when absent) */
  mediaType: string;
  retryAfter: string | null;
}

/** The media type a success must carry for each protocol (the request's own). */
export const MEDIA_TYPE = {
  "http/protobuf": "application/x-protobuf",
  "http/json": "application/json",
} as const;

/** The status codes OTLP/HTTP says to retry (as the exporter does). */
const RETRYABLE = new Set([429, 502, 503, 504]);

const CHANNEL = "http.client.response.finish";

interface ChannelMessage {
  request?: { method?: string; host?: string; path?: string; getHeader?(n: string): unknown };
  response?: { statusCode?: number; headers?: Record<string, string | string[] | undefined> };
}

/**
 * Keeps every answer to a POST to `endpoint` until `stop()`. Matched by host and path (the port
 * too, from the request's Host header when it has one).
 */
export function watchAnswers(endpoint: string): { answers: OtlpAnswer[]; stop(): void } {
  const url = new URL(endpoint);
  const answers: OtlpAnswer[] = [];
  const hostHeader = url.host;
  const listener = (m: unknown) => {
    const { request, response } = m as ChannelMessage;
    if (!request || !response || request.method !== "POST") return;
    if (request.path !== url.pathname + url.search) return;
    const host = request.getHeader?.("host");
    if (typeof host === "string" ? host !== hostHeader : request.host !== url.hostname) return;
    const header = (n: string) => {
      const v = response.headers?.[n];
      return Array.isArray(v) ? v[0] : v ?? null;
    };
    answers.push({
      status: response.statusCode ?? 0,
      mediaType: (header("content-type") ?? "").split(";")[0].trim().toLowerCase(),
      retryAfter: header("retry-after"),
    });
  };
  dc.subscribe(CHANNEL, listener);
  return { answers, stop: () => dc.unsubscribe(CHANNEL, listener) };
}

/**
 * What is wrong with the endpoint's answers, in one line (null: nothing): a success without the
 * protocol's Content-Type (not a collector's answer, its spans not known to be delivered), or
 * the last of retryable answers (status and Retry-After), which the exporter does not name.
 * `failed`: the exporter reported a failure (the retryable line explains it then).
 */
export function answersProblem(
  answers: OtlpAnswer[],
  protocol: keyof typeof MEDIA_TYPE,
  failed: boolean,
  timeoutMs: number,
): string | null {
  const want = MEDIA_TYPE[protocol];
  const odd = answers.filter((a) => a.status >= 200 && a.status <= 299 && a.mediaType !== want);
  if (odd.length) {
    const a = odd[0];
    return `the endpoint answered ${a.status} with ${
      a.mediaType ? `Content-Type ${a.mediaType}` : "no Content-Type"
    }, not ${want} as an OTLP collector must (${odd.length} of ${answers.length} ` +
      `answer${answers.length === 1 ? "" : "s"}): it is not a collector (a proxy's or web ` +
      "server's page?), so the spans are not known to be delivered";
  }
  const last = answers.at(-1);
  if (!failed || !last || !RETRYABLE.has(last.status)) return null;
  const tries = answers.filter((a) => RETRYABLE.has(a.status)).length;
  const wait = last.retryAfter === null
    ? ""
    : `, last asking to retry after ${
      /^\d+$/.test(last.retryAfter.trim()) ? `${last.retryAfter.trim()} s` : last.retryAfter
    }`;
  return `the collector answered ${last.status} (retryable) ${tries} time${
    tries === 1 ? "" : "s"
  }${wait}; the exporter gave up: its retries must fit in its timeout of ${timeoutMs} ms ` +
    "(OTEL_EXPORTER_OTLP_TIMEOUT)";
}
