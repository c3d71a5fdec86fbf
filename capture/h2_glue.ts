/**
 * The HTTP/2 redactor of protocols/, as the capture's StreamRedactor: secret header values in
 * HPACK blocks, and secrets in MCP's JSON-RPC bodies in DATA frames (judged per stream with what
 * the connection's two directions share: protocols/http2_body_secrets.ts), are masked in place,
 * same length, before anything is written.
 *
 * The HTTP/2 and HPACK code loads with the first HTTP/2 connection, not with the capture
 * (most agents speak HTTP/1.1): until it has, the factory returns undefined and the stream
 * layer keeps that connection's calls, untouched and in order, until `ready` settles.
 */
import type { Http2Redactor } from "../protocols/http2_redactor.ts";
import type { Http2Exchanges } from "../protocols/http2_body_secrets.ts";
import type { SessionDigest } from "../protocols/session_digest.ts";
import type { BodyMaskCounts } from "../protocols/http1_body_secrets.ts";
import { isDefaultSecretHeader, type StreamRedactor } from "./redact.ts";

let make:
  | ((shared?: Http2Exchanges, digest?: SessionDigest, counts?: BodyMaskCounts) => Http2Redactor)
  | undefined;
let loading: Promise<void> | undefined;

/** Loads the HTTP/2 redactor's code (once); settles when it has, or could not. */
export function loadH2Redactor(): Promise<void> {
  return loading ??= import("../protocols/http2_redactor.ts").then(
    (m) => {
      make = (shared, digest, counts) =>
        m.createHttp2Redactor((name: string) => isDefaultSecretHeader(name.toLowerCase()), {
          bodies: shared ?? { asked: new Set() },
          digest,
          bodyOptions: { counts },
        });
    },
    () => {/* `make` stays undefined: the stream layer counts those calls as lost */},
  );
}

/**
 * A redactor for one direction of an HTTP/2 connection (`shared`: the connection's, the same
 * for both directions; `digest`: the recording's, for session ids; `counts`: where encoded bodies
 * masked whole unjudged are counted), or undefined while loading.
 */
export function h2RedactorFactory(
  shared?: Http2Exchanges,
  digest?: SessionDigest,
  counts?: BodyMaskCounts,
): StreamRedactor | undefined {
  if (!make) {
    loadH2Redactor();
    return undefined;
  }
  const r = make(shared, digest, counts);
  return { transform: (b) => r.transform(b), flush: () => r.flush() };
}

/** Settles when the code has loaded (or failed to), if a connection asked for it. */
h2RedactorFactory.ready = (): Promise<void> => loading ?? Promise.resolve();
