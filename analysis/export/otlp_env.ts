/**
 * The OTEL_EXPORTER_OTLP_* variables the OTLP export reads, checked before anything is sent:
 * the protocol, the endpoint, the headers, the timeout and the compression, each with its
 * traces-only variant (`OTEL_EXPORTER_OTLP_TRACES_*`, which wins).
 *
 * The OpenTelemetry SDK reads them itself and, per the specification's "warn and ignore",
 * drops what it cannot parse: a header entry without `=`, with an empty key or value, or
 * whose percent-encoding is broken is left out, a value is cut at a raw `;` (baggage
 * metadata), and a bad timeout or compression falls back to its default; its warnings go to
 * the API's diagnostic logger, which prints nothing here. An export that leaves out an
 * authorization header fails at the collector, or worse lands in the wrong tenant, so this
 * command is stricter: each such value is a usage error (exit 2), one line naming the variable
 * and the entry (its position and key, never a value, which may be a secret).
 *
 * Headers follow the specification's format (the W3C Baggage header without metadata):
 * `key=value` entries separated by commas, spaces around them ignored, keys and values
 * percent-decoded (RFC 3986, as `decodeURIComponent`); an empty entry (a trailing comma) is
 * allowed, carrying nothing.
 */
import { usageError } from "../../kit/cli.ts";

export interface OtlpTarget {
  protocol: "http/protobuf" | "http/json";
  /** where traces go, as the exporter will send them */
  endpoint: string;
  /** the exporter's timeout for an export, retries included (milliseconds; default 10 s) */
  timeoutMs: number;
}

/** Reads a variable (the process environment by default); empty is unset, as the spec says. */
export type EnvReader = (name: string) => string | undefined;

const processEnv: EnvReader = (k) => Deno.env.get(k);

/** An HTTP header name (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The headers `text` (the value of variable `name`) asks for, decoded; a malformed entry is a
 * usage error naming `name`.
 */
export function parseOtlpHeaders(name: string, text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Map<string, string>();
  const entries = text.split(",");
  entries.forEach((raw, i) => {
    const entry = raw.trim();
    if (!entry) return;
    const at = `${name}: entry ${i + 1}`;
    const eq = entry.indexOf("=");
    if (eq < 0) {
      throw usageError(`${at} is not key=value (the format is key=value,key2=value2)`);
    }
    const rawKey = entry.slice(0, eq).trim();
    const rawValue = entry.slice(eq + 1).trim();
    if (!rawKey) throw usageError(`${at} has no key (the format is key=value,key2=value2)`);
    let key: string;
    try {
      key = decodeURIComponent(rawKey);
    } catch {
      throw usageError(`${at}: its key is not percent-encoded right`);
    }
    if (!TOKEN.test(key)) {
      throw usageError(`${at}: ${JSON.stringify(key)} is not an HTTP header name`);
    }
    const named = `${at} (${key})`;
    if (!rawValue) throw usageError(`${named} has no value`);
    if (rawValue.includes(";")) {
      throw usageError(
        `${named}: a raw ";" starts baggage metadata, which OTLP headers do not take ` +
          `(the rest of the value would be dropped): write it as %3B`,
      );
    }
    let value: string;
    try {
      value = decodeURIComponent(rawValue);
    } catch {
      throw usageError(
        `${named}: its value is not percent-encoded right (a "%" not followed by two hex ` +
          `digits, or bytes that are not UTF-8): write a literal % as %25`,
      );
    }
    // deno-lint-ignore no-control-regex
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) {
      throw usageError(`${named}: its value holds a control character, not allowed in a header`);
    }
    const lower = key.toLowerCase();
    if (seen.has(lower)) {
      throw usageError(`${named}: the header ${seen.get(lower)} is given twice`);
    }
    seen.set(lower, key);
    out[key] = value;
  });
  return out;
}

/**
 * The protocol and endpoint the OTEL_* variables name, after checking every variable the
 * export reads (headers, timeout, compression too); bad values are usage errors.
 */
export function otlpTarget(getEnv: EnvReader = processEnv): OtlpTarget {
  /** the traces-only variable if set, else the general one: [name, value] */
  const pick = (what: string): [string, string] | undefined => {
    for (const name of [`OTEL_EXPORTER_OTLP_TRACES_${what}`, `OTEL_EXPORTER_OTLP_${what}`]) {
      const v = getEnv(name)?.trim();
      if (v) return [name, v];
    }
    return undefined;
  };
  const [protocolVar, protocol] = pick("PROTOCOL") ?? ["", "http/protobuf"];
  if (protocol !== "http/protobuf" && protocol !== "http/json") {
    throw usageError(
      `${protocolVar}=${protocol} is not supported: use http/protobuf or http/json`,
    );
  }
  const signal = getEnv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")?.trim();
  const base = getEnv("OTEL_EXPORTER_OTLP_ENDPOINT")?.trim();
  const endpointVar = signal ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT";
  const badUrl = (given: string, why: string) =>
    usageError(`${endpointVar}: ${JSON.stringify(given)} ${why}`);
  const httpUrl = (given: string) => {
    let u: URL;
    try {
      u = new URL(given);
    } catch {
      throw badUrl(given, "is not an http(s) URL");
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      throw badUrl(given, "is not an http(s) URL");
    }
    return u;
  };
  let endpoint: string;
  if (signal) {
    httpUrl(signal);
    endpoint = signal;
  } else if (base) {
    const u = httpUrl(base);
    // the exporter appends v1/traces to the text as given: after a query it would be lost
    if (u.search || u.hash) {
      throw badUrl(base, "has a query or fragment, which /v1/traces cannot follow");
    }
    endpoint = `${base.replace(/\/+$/, "")}/v1/traces`;
  } else {
    endpoint = "http://localhost:4318/v1/traces";
  }
  for (const name of ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"]) {
    const v = getEnv(name);
    if (v?.trim()) parseOtlpHeaders(name, v);
  }
  let timeoutMs: number | undefined;
  for (const name of ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"]) {
    const v = getEnv(name)?.trim();
    if (v && !(/^\d+(\.\d+)?$/.test(v) && Number(v) > 0)) {
      throw usageError(`${name}=${v} is not a timeout: give milliseconds, more than 0`);
    }
    if (v) timeoutMs ??= Number(v); // the traces-only one wins, as in the SDK
  }
  for (const name of ["OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION"]) {
    const v = getEnv(name)?.trim();
    if (v && v !== "gzip" && v !== "none") {
      throw usageError(`${name}=${v} is not supported: use gzip or none`);
    }
  }
  return { protocol, endpoint, timeoutMs: timeoutMs ?? 10_000 };
}
