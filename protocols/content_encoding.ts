/**
 * Streaming decoding of HTTP `Content-Encoding` (RFC 9110 8.4) with an output size bound:
 * gzip / x-gzip, deflate (zlib-wrapped, or raw deflate as some servers send it: detected from
 * the first two bytes), br and zstd, using the runtime's `node:zlib` (Deno 2.9 provides all of
 * them, zstd included; `supportedContentCodings()` probes at run time; a zstd body is handed
 * over one frame at a time, as zstd_frames.ts says why). Several codings ("gzip, br") are
 * undone in reverse order.
 *
 * `node:zlib` only streams asynchronously here (its synchronous chunk API closes the handle
 * after one call), so unlike the protocol parsers this decoder's callbacks may run after
 * `feed` returns: `end()` returns a promise that settles once every output chunk (or the error)
 * has been delivered. Input is handed to zlib one chunk at a time, and each output chunk is
 * tagged with `inputEnd`: how many input bytes had been handed over when it was produced, so
 * decoded bytes can be mapped (conservatively) back to stream offsets and timestamps.
 *
 * Errors (`onError`, never thrown): unknown coding, corrupt data or more than 65,536 zstd frames
 * (`compression`), gzip, deflate or zstd data that ends inside itself (`truncated`: the body was
 * cut short), decoded output above `maxOutputSize` (decompression bombs stop there), or more
 * than `maxBufferSize` input bytes queued faster than zlib consumes them. After an error the decoder ignores input.
 */

import * as zlib from "node:zlib";
import type { Transform } from "node:stream";
import { ProtocolError } from "./protocol_error.ts";
import { concatBytes } from "../kit/bytes.ts";
import { createZstdFrameSplitter } from "./zstd_frames.ts";
import {
  errorCode,
  isZlibWrapped,
  parseContentEncoding,
  type Stage,
  stageFor,
} from "./content_codings.ts";

// the synchronous decoder (which loads node:zlib when first used) and the coding list, here too
export { decodeContentSync } from "./content_decode_sync.ts";
export { parseContentEncoding };

export interface ContentDecoderCallbacks {
  /** A decoded chunk; `inputEnd` counts the encoded bytes handed to the decoder so far. */
  onData(chunk: Uint8Array, info: { inputEnd: number; outputOffset: number }): void;
  onError?(error: ProtocolError): void;
}

export interface ContentDecoderOptions {
  /** Largest total decoded output. Default 64 MiB. */
  maxOutputSize?: number;
  /** Largest amount of encoded input queued but not yet consumed. Default 16 MiB. */
  maxBufferSize?: number;
}

export interface ContentDecoder {
  feed(bytes: Uint8Array): void;
  /** Signals the end of input; resolves when all output (or an error) has been delivered. */
  end(): Promise<void>;
}

/** Which codings this runtime can decode (probed once by decoding a tiny sample). */
export function supportedContentCodings(): Record<string, boolean> {
  const sample = new TextEncoder().encode("probe");
  const probe = (fn: () => Uint8Array) => {
    try {
      return new TextDecoder().decode(fn()) === "probe";
    } catch {
      return false;
    }
  };
  return {
    gzip: probe(() => zlib.gunzipSync(zlib.gzipSync(sample))),
    deflate: probe(() => zlib.inflateSync(zlib.deflateSync(sample))),
    "deflate-raw": probe(() => zlib.inflateRawSync(zlib.deflateRawSync(sample))),
    br: probe(() => zlib.brotliDecompressSync(zlib.brotliCompressSync(sample))),
    zstd: probe(() => {
      // deno-lint-ignore no-explicit-any
      const z = zlib as any;
      return z.zstdDecompressSync(z.zstdCompressSync(sample));
    }),
  };
}

function makeTransform(stage: Stage, firstBytes: Uint8Array): Transform {
  switch (stage) {
    case "gzip":
      return zlib.createGunzip();
    case "deflate": {
      return isZlibWrapped(firstBytes) ? zlib.createInflate() : zlib.createInflateRaw();
    }
    case "br":
      return zlib.createBrotliDecompress();
    case "zstd": {
      // deno-lint-ignore no-explicit-any
      const create = (zlib as any).createZstdDecompress;
      if (typeof create !== "function") {
        throw new ProtocolError("unsupported", "zstd is not available in this runtime's node:zlib");
      }
      return create();
    }
  }
}

/**
 * Creates a streaming decoder for `encoding` (a Content-Encoding value or list of codings).
 * An empty or identity encoding passes bytes through unchanged.
 */
export function createContentDecoder(
  encoding: string | readonly string[],
  callbacks: ContentDecoderCallbacks,
  options: ContentDecoderOptions = {},
): ContentDecoder {
  const codings = parseContentEncoding(encoding);
  const maxOutputSize = options.maxOutputSize ?? 64 * 1024 * 1024;
  const maxBufferSize = options.maxBufferSize ?? 16 * 1024 * 1024;
  let failed = false;
  let output = 0;
  let inputEnd = 0;

  let signalFailure!: () => void;
  const failure = new Promise<void>((r) => (signalFailure = r));
  const fail = (err: ProtocolError) => {
    if (failed) return;
    failed = true;
    signalFailure();
    callbacks.onError?.(err);
  };

  const deliver = (chunk: Uint8Array) => {
    if (failed || chunk.length === 0) return;
    const room = maxOutputSize - output;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part.length > 0) {
      const at = output;
      output += part.length;
      callbacks.onData(part, { inputEnd, outputOffset: at });
    }
    if (chunk.length > room) {
      fail(
        new ProtocolError("output-limit", `decoded body exceeds maxOutputSize (${maxOutputSize})`),
      );
    }
  };

  const unknown = codings.find((c) => stageFor(c) === null);
  if (unknown !== undefined) {
    let reported = false;
    const report = () => {
      if (!reported) {
        reported = true;
        fail(new ProtocolError("unsupported", `unsupported content coding "${unknown}"`));
      }
    };
    return { feed: report, end: () => Promise.resolve(report()) };
  }

  // Stages in decoding order: the last coding applied is undone first.
  type Sink = { write(b: Uint8Array): void; end(): Promise<void> };
  let sink: Sink = { write: deliver, end: () => Promise.resolve() };
  codings.forEach((coding, i) => {
    sink = createStage(stageFor(coding)!, sink, i === codings.length - 1);
  });

  /** One decoding stage; `countsInput` marks the stage that sees the raw encoded input. */
  function createStage(stage: Stage, next: Sink, countsInput: boolean): Sink {
    let transform: Transform | null = null;
    let head = new Uint8Array(0); // first bytes, held until the format can be detected
    // pieces to hand over, from `first` on (a number: skipped bytes, only counted); an index,
    // not `shift()`, which copies the array: a body can hold tens of thousands of zstd frames
    let queue: (Uint8Array | number)[] = [];
    let first = 0;
    let queued = 0;
    let writing = false;
    let ending: (() => void) | null = null;
    let done: Promise<void> | null = null;
    let resolveDone!: () => void;
    const finished = new Promise<void>((r) => (resolveDone = r));
    // zstd: one frame per write (see zstd_frames.ts)
    const frames = stage === "zstd" ? createZstdFrameSplitter() : null;

    const start = (): Transform | null => {
      if (transform) return transform;
      try {
        transform = makeTransform(stage, head);
      } catch (err) {
        fail(
          err instanceof ProtocolError ? err : new ProtocolError("unsupported", String(err)),
        );
        resolveDone();
        return null;
      }
      transform.on("data", (b: Uint8Array) => {
        if (!failed) next.write(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
        if (failed) transform?.destroy();
      });
      transform.on("error", (err: Error) => {
        fail(new ProtocolError(errorCode(err), `${stage} decoding failed: ${err.message}`));
        resolveDone();
      });
      transform.on("end", () => resolveDone());
      transform.on("close", () => resolveDone());
      return transform;
    };

    const pump = () => {
      if (failed && ending) {
        const finish = ending;
        ending = null;
        finish();
      }
      if (writing || failed) return;
      const t = start();
      if (!t) return;
      let chunk = first < queue.length ? queue[first++] : undefined;
      while (typeof chunk === "number") {
        queued -= chunk;
        if (countsInput) inputEnd += chunk;
        chunk = first < queue.length ? queue[first++] : undefined;
      }
      if (first === queue.length) (queue = [], first = 0);
      else if (first > 1024 && first * 2 > queue.length) (queue = queue.slice(first), first = 0);
      if (chunk) {
        writing = true;
        queued -= chunk.length;
        t.write(chunk, () => {
          writing = false;
          if (countsInput) inputEnd += chunk.length;
          pump();
        });
      } else if (ending) {
        const finish = ending;
        ending = null;
        finish();
      }
    };

    return {
      write(b: Uint8Array) {
        if (failed) return;
        if (!transform && stage === "deflate" && head.length < 2) {
          const merged = new Uint8Array(head.length + b.length);
          merged.set(head);
          merged.set(b, head.length);
          head = merged;
          if (head.length < 2) return;
          b = head;
        }
        queued += b.length;
        if (queued > maxBufferSize) {
          fail(
            new ProtocolError("buffer-limit", `encoded input queued beyond ${maxBufferSize} bytes`),
          );
          return;
        }
        if (!frames) queue.push(b.slice());
        else {
          try {
            for (const p of frames.split(b)) queue.push(p.skip ? p.bytes.length : p.bytes.slice());
          } catch (err) {
            fail(err as ProtocolError);
            return;
          }
        }
        pump();
      },
      end() {
        if (done) return done;
        done = (async () => {
          if (!failed) {
            if (!transform && head.length > 0) {
              queue.push(head.slice());
              queued += head.length;
            }
            // Wait until the queue has drained into zlib (or anything failed), then end it.
            await Promise.race([
              new Promise<void>((resolve) => {
                ending = () => {
                  const t = failed ? null : start();
                  t?.end();
                  resolve();
                };
                pump();
              }),
              failure,
            ]);
            // A failure anywhere (e.g. the output limit downstream) also ends the wait.
            if (transform) await Promise.race([finished, failure]);
            // zstd's decoder ends quietly inside a frame: the splitter knows
            if (frames?.midFrame()) {
              fail(new ProtocolError("truncated", "zstd data ends inside a frame"));
            }
          }
          await next.end();
        })();
        return done;
      },
    };
  }

  return {
    feed(bytes: Uint8Array) {
      if (failed || bytes.length === 0) return;
      if (codings.length === 0) {
        inputEnd += bytes.length;
      }
      sink.write(bytes);
    },
    end: () => sink.end(),
  };
}

/** Decodes a complete body. Resolves with the output, or rejects with the `ProtocolError`. */
export async function decodeContent(
  encoding: string | readonly string[],
  body: Uint8Array,
  options: ContentDecoderOptions = {},
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let error: ProtocolError | null = null;
  const d = createContentDecoder(encoding, {
    onData: (c) => parts.push(c.slice()),
    onError: (e) => (error = e),
  }, options);
  d.feed(body);
  await d.end();
  if (error) throw error;
  return concatBytes(parts);
}
