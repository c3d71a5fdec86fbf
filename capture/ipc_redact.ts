/**
 * Secrets out of the ipc bytes before they are written, same length (so stream offsets stay
 * true), one stream (inode, direction) at a time, in call order:
 *
 * - JSON-RPC (every kind): string values of secret-named keys in the stream's first JSON
 *   value — MCP's `initialize` one way and its answer the other — by the rule of
 *   `protocols/json_secrets.ts`, which the analysis applies to `mcp_messages` too.
 * - `tcp` (HTTP/1 on loopback): secret header values (Authorization, cookies, API keys,
 *   Mcp-Session-Id: `protocols/secret_headers.ts`) by the capture's HTTP/1 redactor, as for TLS;
 *   and the value of a `sessionId=` URL parameter, where MCP's HTTP+SSE transport puts its
 *   session (the `endpoint` event's URL and every POST to it), up to `&`, a blank or a quote.
 *
 * After a gap (a call missing before this one, or this one cut or with bytes lost), the
 * HTTP/1 redactor resumes at the next line and the JSON masker masks the rest of its value
 * but punctuation. `--keep-secrets` turns it off.
 */
import { createJsonSecretMasker, type JsonSecretMasker } from "../protocols/json_secrets.ts";
import {
  afterGap,
  createHttp1Redactor,
  createParamRedactor,
  SECRET_PARAM,
  type StreamRedactor,
} from "./redact.ts";

/** What the redactor needs of a call (ipc_streams.ts's IpcCall); `data` is replaced. */
export interface RedactableCall {
  inode: bigint;
  dir: 0 | 1;
  kind: string;
  streamOff: bigint;
  total: number;
  data: Uint8Array;
  truncated: boolean;
  lost: number;
}

interface Stream {
  json: JsonSecretMasker;
  http?: StreamRedactor;
  param?: StreamRedactor;
  /** where the next call should start */
  next: bigint;
}

export class IpcRedactor {
  #streams = new Map<string, Stream>();

  /** Masks the secrets in a call's data, in place of its data. */
  redact(call: RedactableCall): void {
    const key = `${call.inode}:${call.dir}`;
    let s = this.#streams.get(key);
    if (!s) {
      s = {
        json: createJsonSecretMasker({ afterHead: call.kind === "tcp" }),
        http: call.kind === "tcp" ? createHttp1Redactor() : undefined,
        param: call.kind === "tcp" ? createParamRedactor(SECRET_PARAM) : undefined,
        next: call.streamOff,
      };
      this.#streams.set(key, s);
    }
    if (call.streamOff !== s.next) this.#gap(s);
    s.next = call.streamOff + BigInt(call.total);
    let data = call.data;
    if (s.http) data = s.http.transform(data);
    if (s.param) data = s.param.transform(data);
    data = s.json.transform(data);
    call.data = data;
    if (call.truncated || call.lost > 0) this.#gap(s);
  }

  #gap(s: Stream): void {
    if (s.http) afterGap(s.http);
    s.json.gap();
  }
}
