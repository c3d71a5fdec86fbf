/**
 * The OTLP endpoint's answers as the specification judges them: a 2xx must carry the
 * protocol's Content-Type (parameters allowed), retryable answers the exporter gave up on are
 * named with their status and Retry-After; and only answers to the endpoint are watched (a real
 * node:http request through Node's diagnostics channel, to a local server).
 */
import assert from "node:assert/strict";
import http from "node:http";
import { answersProblem, type OtlpAnswer, watchAnswers } from "./otlp_responses.ts";

const a = (status: number, mediaType: string, retryAfter: string | null = null): OtlpAnswer => ({
  status,
  mediaType,
  retryAfter,
});

Deno.test("answersProblem: a success with the protocol's Content-Type is no problem; another, or none, is", () => {
  assert.equal(answersProblem([a(200, "application/x-protobuf")], "http/protobuf", false, 1), null);
  assert.equal(answersProblem([a(200, "application/json")], "http/json", false, 1), null);
  assert.match(
    answersProblem([a(200, "application/json")], "http/protobuf", false, 1)!,
    /^the endpoint answered 200 with Content-Type application\/json, not application\/x-protobuf /,
  );
  assert.match(
    answersProblem([a(503, ""), a(204, "")], "http/json", false, 1)!,
    /^the endpoint answered 204 with no Content-Type, not application\/json .*\(1 of 2 answers\)/,
  );
});

Deno.test("answersProblem: retryable answers are named only when the export failed", () => {
  const busy = [a(503, "text/plain"), a(503, "text/plain", "Wed, 21 Oct 2026 07:28:00 GMT")];
  assert.equal(answersProblem(busy, "http/protobuf", false, 10_000), null);
  assert.equal(
    answersProblem(busy, "http/protobuf", true, 10_000),
    "the collector answered 503 (retryable) 2 times, last asking to retry after Wed, 21 Oct " +
      "2026 07:28:00 GMT; the exporter gave up: its retries must fit in its timeout of 10000 ms " +
      "(OTEL_EXPORTER_OTLP_TIMEOUT)",
  );
  // a refusal that is not retryable is the exporter's own line
  assert.equal(answersProblem([a(400, "application/json")], "http/json", true, 1), null);
});

Deno.test("watchAnswers: the endpoint's answers (status, media type, Retry-After), no other request's", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.arrayBuffer();
    return new URL(req.url).pathname === "/v1/traces"
      ? new Response("", { status: 429, headers: { "retry-after": "7" } })
      : new Response("<html></html>", { headers: { "content-type": "Text/HTML; charset=utf-8" } });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const post = (path: string) =>
    new Promise<void>((done) => {
      const req = http.request(`${base}${path}`, { method: "POST" }, (res) => {
        res.resume();
        res.on("end", () => done());
      });
      req.end("x");
    });
  const watch = watchAnswers(`${base}/v1/traces`);
  const other = watchAnswers(`${base}/other`);
  try {
    await post("/v1/traces");
    await post("/other");
  } finally {
    watch.stop();
    other.stop();
    await server.shutdown();
  }
  assert.deepEqual(watch.answers, [{ status: 429, mediaType: "text/plain", retryAfter: "7" }]);
  assert.deepEqual(other.answers, [{ status: 200, mediaType: "text/html", retryAfter: null }]);
});
