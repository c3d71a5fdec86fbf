/**
 * The HTTP requests a recording's TLS streams hold (method and path), HTTP/1.1 or HTTP/2, so
 * the benchmark can check that a capture saw every LLM request the model server answered.
 */
import {
  createHttp1RequestParser,
  createHttp2Parser,
  startsWithHttp2Preface,
} from "../../protocols/mod.ts";
import { type TlsStream, tlsStreams } from "../../recording/recording.ts";
import type { TlsRow } from "../../recording/schema.ts";

export interface RecordedRequest {
  method: string;
  path: string;
}

/** Requests in one stream's client→server bytes. */
export function streamRequests(s: TlsStream): RecordedRequest[] {
  const out: RecordedRequest[] = [];
  if (startsWithHttp2Preface(s.write)) {
    const p = createHttp2Parser({
      onHeaders: (h) => {
        if (h.kind === "request") {
          out.push({ method: h.pseudo.method ?? "", path: h.pseudo.path ?? "" });
        }
      },
    }, { direction: "client", maxBufferSize: 16 << 20 });
    p.feed(s.write);
    p.end();
  } else {
    const p = createHttp1RequestParser({
      onHead: (h) => out.push({ method: h.method ?? "", path: h.target ?? "" }),
    }, { maxBufferSize: 16 << 20 });
    p.feed(s.write);
    p.end();
  }
  return out;
}

/** All requests of a recording's tls rows. */
export function recordedRequests(rows: TlsRow[]): RecordedRequest[] {
  return tlsStreams(rows).flatMap(streamRequests);
}
