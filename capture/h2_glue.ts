/**
 * The HTTP/2 header redactor of protocols, as the capture's StreamRedactor: secret
 * header values in HPACK blocks are masked in place, same length, before anything is written.
 */
import { createHttp2Redactor } from "../protocols/mod.ts";
import { SECRET_HEADERS, type StreamRedactor } from "./redact.ts";

const secrets = new Set(SECRET_HEADERS);

export function h2RedactorFactory(): StreamRedactor {
  const r = createHttp2Redactor((name: string) => secrets.has(name.toLowerCase()));
  return { transform: (b) => r.transform(b), flush: () => r.flush() };
}
