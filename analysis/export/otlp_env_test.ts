/**
 * The OTEL_EXPORTER_OTLP_* variables as a user sets them: headers in the W3C-baggage-like
 * `key=value,key2=value2` form (values percent-encoded), the protocol, the endpoint, the
 * timeout and the compression. Anything the SDK would drop or change without a word is a usage
 * error naming the variable (and the entry's key, never a value: it may be a secret).
 */
import assert from "node:assert/strict";
import { CliError } from "../../kit/cli.ts";
import { otlpTarget, parseOtlpHeaders } from "./otlp_env.ts";

const H = "OTEL_EXPORTER_OTLP_HEADERS";

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CliError, String(e));
    assert.equal(e.exitCode, 2);
    assert.equal(e.message.split("\n").length, 1, e.message);
    return e.message;
  }
  assert.fail("no error");
}

Deno.test("headers: key=value pairs, values percent-decoded, spaces around trimmed", () => {
  assert.deepEqual(parseOtlpHeaders(H, "authorization=Bearer t0ken, x-fleet = lab"), {
    authorization: "Bearer t0ken",
    "x-fleet": "lab",
  });
  assert.deepEqual(parseOtlpHeaders(H, "api-key=a%3Db%2Cc%3Bd%25"), { "api-key": "a=b,c;d%" });
  // an empty entry (a trailing comma) carries nothing to lose
  assert.deepEqual(parseOtlpHeaders(H, "a=1,"), { a: "1" });
});

Deno.test("headers: every malformed entry is one line naming the variable, the entry and its key", () => {
  const cases: [string, RegExp][] = [
    ["authorization", /^OTEL_EXPORTER_OTLP_HEADERS: entry 1 is not key=value/],
    ["a=1,Bearer s3cret", /^OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not key=value/],
    ["=s3cret", /^OTEL_EXPORTER_OTLP_HEADERS: entry 1 has no key/],
    ["x-tenant=", /^OTEL_EXPORTER_OTLP_HEADERS: entry 1 \(x-tenant\) has no value/],
    ["x-key=s3cret%ZZ", /entry 1 \(x-key\): its value is not percent-encoded right/],
    ["x-key=s3c;ret", /entry 1 \(x-key\): a raw ";" /],
    ["bad key=s3cret", /entry 1: "bad key" is not an HTTP header name/],
    ["x-key=s3c%0Aret", /entry 1 \(x-key\): its value holds a control character/],
    ["a=1,A=s3cret", /entry 2 \(A\): the header a is given twice/],
  ];
  for (const [text, want] of cases) {
    const msg = usage(() => parseOtlpHeaders(H, text));
    assert.match(msg, want, text);
    assert.ok(!msg.includes("s3c"), `a value is never shown: ${msg}`);
  }
});

Deno.test("otlpTarget: bad protocol, endpoint, timeout, compression or headers are usage errors naming the variable", () => {
  const env = (vars: Record<string, string>) => (k: string) => vars[k];
  assert.deepEqual(otlpTarget(env({})), {
    protocol: "http/protobuf",
    endpoint: "http://localhost:4318/v1/traces",
    timeoutMs: 10_000,
  });
  assert.deepEqual(
    otlpTarget(env({
      OTEL_EXPORTER_OTLP_ENDPOINT: "https://c.example:4318/base/",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_HEADERS: "a=1",
      OTEL_EXPORTER_OTLP_TIMEOUT: "2500",
      OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
    })),
    { protocol: "http/json", endpoint: "https://c.example:4318/base/v1/traces", timeoutMs: 2500 },
  );
  const cases: [Record<string, string>, RegExp][] = [
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }, /^OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported/],
    [
      { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/xml" },
      /^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http\/xml is not supported/,
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: "localhost:4318" },
      /^OTEL_EXPORTER_OTLP_ENDPOINT: .* not an http\(s\) URL/,
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://exa mple" },
      /^OTEL_EXPORTER_OTLP_ENDPOINT: .* not an http\(s\) URL/,
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/?tenant=a" },
      /^OTEL_EXPORTER_OTLP_ENDPOINT: .*query or fragment/,
    ],
    [
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "ftp://c/v1/traces" },
      /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: .* not an http\(s\) URL/,
    ],
    [{ OTEL_EXPORTER_OTLP_TIMEOUT: "10s" }, /^OTEL_EXPORTER_OTLP_TIMEOUT=10s is not/],
    [{ OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: "0" }, /^OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=0 is not/],
    [{ OTEL_EXPORTER_OTLP_COMPRESSION: "zstd" }, /^OTEL_EXPORTER_OTLP_COMPRESSION=zstd is not/],
    [{ OTEL_EXPORTER_OTLP_HEADERS: "nokey" }, /^OTEL_EXPORTER_OTLP_HEADERS: entry 1/],
    [
      { OTEL_EXPORTER_OTLP_HEADERS: "a=1", OTEL_EXPORTER_OTLP_TRACES_HEADERS: "b" },
      /^OTEL_EXPORTER_OTLP_TRACES_HEADERS: entry 1/,
    ],
  ];
  for (const [vars, want] of cases) {
    assert.match(usage(() => otlpTarget(env(vars))), want, JSON.stringify(vars));
  }
});
