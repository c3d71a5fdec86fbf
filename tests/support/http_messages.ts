/**
 * HTTP messages out of a recorded TLS stream, for tests that compare what a recording holds
 * with what the server received and sent: HTTP/1.1 (bodies de-chunked) or HTTP/2 (bodies
 * per stream). Built on protocols.
 */
import {
  createHttp1Exchange,
  createHttp2Parser,
  type ProtocolError,
  startsWithHttp2Preface,
} from "../../protocols/mod.ts";
import type { TlsStream } from "../../recording/recording.ts";
import { concatBytes } from "../../kit/bytes.ts";

export interface Message {
  /** request: method and path; response: status */
  method?: string;
  path?: string;
  status?: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface Messages {
  protocol: "http/1.1" | "h2";
  requests: Message[];
  responses: Message[];
  errors: string[];
}

export function httpMessages(s: TlsStream): Messages {
  const errors: string[] = [];
  const onError = (e: ProtocolError) => errors.push(e.message);
  const isH2 = startsWithHttp2Preface(s.write);
  if (!isH2) {
    const reqs: (Message & { parts: Uint8Array[] })[] = [];
    const resps: (Message & { parts: Uint8Array[] })[] = [];
    const ex = createHttp1Exchange({
      request: {
        onHead: (h) =>
          reqs.push({
            method: h.method,
            path: h.target,
            headers: Object.fromEntries(h.headers.map(([k, v]) => [k.toLowerCase(), v])),
            body: new Uint8Array(0),
            parts: [],
          }),
        onBody: (c) => reqs.at(-1)!.parts.push(c.data.slice()),
        onError,
      },
      response: {
        onHead: (h) =>
          resps.push({
            status: h.status,
            headers: Object.fromEntries(h.headers.map(([k, v]) => [k.toLowerCase(), v])),
            body: new Uint8Array(0),
            parts: [],
          }),
        onBody: (c) => resps.at(-1)!.parts.push(c.data.slice()),
        onError,
      },
    });
    ex.request.feed(s.write);
    ex.request.end();
    ex.response.feed(s.read);
    ex.response.end();
    const done = (ms: (Message & { parts: Uint8Array[] })[]) =>
      ms.map(({ parts, ...m }) => ({ ...m, body: concatBytes(parts) }));
    return { protocol: "http/1.1", requests: done(reqs), responses: done(resps), errors };
  }
  const streams = new Map<string, Message & { parts: Uint8Array[] }>();
  const get = (dir: string, id: number) => {
    const k = `${dir}:${id}`;
    if (!streams.has(k)) streams.set(k, { headers: {}, body: new Uint8Array(0), parts: [] });
    return streams.get(k)!;
  };
  for (const [direction, bytes] of [["client", s.write], ["server", s.read]] as const) {
    const p = createHttp2Parser({
      onHeaders: (h) => {
        if (h.kind !== "request" && h.kind !== "response") return;
        const m = get(direction, h.streamId);
        m.method = h.pseudo.method;
        m.path = h.pseudo.path;
        m.status = h.pseudo.status ? Number(h.pseudo.status) : undefined;
        for (const [k, v] of h.headers) if (!k.startsWith(":")) m.headers[k] = v;
      },
      onData: (d) => get(direction, d.streamId).parts.push(d.data),
      onError,
    }, { direction });
    p.feed(bytes);
    p.end();
  }
  const pick = (dir: string) =>
    [...streams.entries()]
      .filter(([k]) => k.startsWith(dir + ":"))
      .sort(([a], [b]) => Number(a.split(":")[1]) - Number(b.split(":")[1]))
      .map(([, { parts, ...m }]) => ({ ...m, body: concatBytes(parts) }));
  return { protocol: "h2", requests: pick("client"), responses: pick("server"), errors };
}
