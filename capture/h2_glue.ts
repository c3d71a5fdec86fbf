/**
 * The HTTP/2 header redactor of protocols/, as the capture's StreamRedactor: secret header
 * values in HPACK blocks are masked in place, same length, before anything is written.
 *
 * The HTTP/2 and HPACK code loads with the first HTTP/2 connection, not with the capture
 * (most agents speak HTTP/1.1): until it has, the factory returns undefined and the stream
 * layer keeps that connection's calls, untouched and in order, until `ready` settles.
 */
import type { Http2Redactor } from "../protocols/http2_redactor.ts";
import { SECRET_HEADERS, type StreamRedactor } from "./redact.ts";

const secrets = new Set(SECRET_HEADERS);
let make: (() => Http2Redactor) | undefined;
let loading: Promise<void> | undefined;

/** Loads the HTTP/2 redactor's code (once); settles when it has, or could not. */
export function loadH2Redactor(): Promise<void> {
  return loading ??= import("../protocols/http2_redactor.ts").then(
    (m) => {
      make = () => m.createHttp2Redactor((name: string) => secrets.has(name.toLowerCase()));
    },
    () => {/* `make` stays undefined: the stream layer counts those calls as lost */},
  );
}

/** A redactor for one direction of an HTTP/2 connection, or undefined while loading. */
export function h2RedactorFactory(): StreamRedactor | undefined {
  if (!make) {
    loadH2Redactor();
    return undefined;
  }
  const r = make();
  return { transform: (b) => r.transform(b), flush: () => r.flush() };
}

/** Settles when the code has loaded (or failed to), if a connection asked for it. */
h2RedactorFactory.ready = (): Promise<void> => loading ?? Promise.resolve();
