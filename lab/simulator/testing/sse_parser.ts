/**
 * The model server's tests read the SSE they emit through the analysis side's SSE parser
 * (protocols/sse.ts), as the events a recording's analysis would see; this adapter
 * gives them the shape they check: `event` (absent for the default "message") and `data`,
 * with a stream cut inside an event reported as an error.
 */
import { createSseParser as createStreamParser } from "../../../protocols/sse.ts";

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
  return createStreamParser({
    onEvent(e) {
      if (e.incomplete) callbacks.onError?.("stream ended inside an event");
      else callbacks.onEvent({ event: e.type === "message" ? undefined : e.type, data: e.data });
    },
    onError: (err) => callbacks.onError?.(err.message),
  }, { maxBufferSize: opts.maxBufferSize ?? 1 << 20 });
}

/** All the events of a whole SSE text. */
export function parseSse(text: string): SseEvent[] {
  const out: SseEvent[] = [];
  const p = createSseParser({ onEvent: (e) => out.push(e) });
  p.feed(new TextEncoder().encode(text));
  p.end();
  return out;
}
