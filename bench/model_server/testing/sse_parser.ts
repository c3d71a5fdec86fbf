/**
 * A tiny SSE push parser for the model server's own tests (the analysis side has its own):
 * `createSseParser(callbacks, { maxBufferSize }) -> { feed(bytes), end() }`. It splits events
 * at blank lines (LF or CRLF), joins `data:` lines with "\n", keeps the `event:` name, and
 * reports a line longer than `maxBufferSize` as an error.
 */

export interface SseEvent {
  event?: string;
  data: string;
}

export interface SseCallbacks {
  onEvent(e: SseEvent): void;
  onError?(message: string): void;
}

export interface SseParser {
  feed(bytes: Uint8Array): void;
  end(): void;
}

export function createSseParser(
  callbacks: SseCallbacks,
  opts: { maxBufferSize?: number } = {},
): SseParser {
  const max = opts.maxBufferSize ?? 1 << 20;
  const decoder = new TextDecoder();
  let buffer = "";
  let event: string | undefined;
  let data: string[] = [];
  let sawField = false;
  let pendingCR = false;

  const dispatch = () => {
    if (sawField) callbacks.onEvent({ event, data: data.join("\n") });
    event = undefined;
    data = [];
    sawField = false;
  };
  const line = (l: string) => {
    if (l === "") return dispatch();
    if (l.startsWith(":")) return;
    const colon = l.indexOf(":");
    const field = colon < 0 ? l : l.slice(0, colon);
    let value = colon < 0 ? "" : l.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else return;
    sawField = true;
  };
  const scan = () => {
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer[i];
      if (pendingCR) {
        pendingCR = false;
        if (c === "\n") {
          start = i + 1;
          continue;
        }
      }
      if (c === "\n" || c === "\r") {
        line(buffer.slice(start, i));
        if (c === "\r") pendingCR = true;
        start = i + 1;
      }
    }
    buffer = buffer.slice(start);
    if (buffer.length > max) {
      callbacks.onError?.(`line longer than ${max} characters`);
      buffer = "";
    }
  };
  return {
    feed(bytes) {
      buffer += decoder.decode(bytes, { stream: true });
      scan();
    },
    end() {
      buffer += decoder.decode();
      scan();
      if (buffer.length > 0) line(buffer);
      buffer = "";
      if (sawField) callbacks.onError?.("stream ended inside an event");
    },
  };
}

/** Parses a whole SSE text into events. */
export function parseSse(text: string): SseEvent[] {
  const out: SseEvent[] = [];
  const p = createSseParser({ onEvent: (e) => out.push(e) });
  p.feed(new TextEncoder().encode(text));
  p.end();
  return out;
}
