/**
 * Decodes a complete HTTP body synchronously (for push parsers and redactors that must answer
 * within `feed`/`end`): gzip / x-gzip, deflate (zlib-wrapped or raw), br and zstd, several
 * codings undone in reverse order, output bounded by `maxOutputSize` (zlib's
 * `maxOutputLength`: decoding stops there, a decompression bomb costs no more than that).
 *
 * `node:zlib` is loaded when a body is first decoded, not when this module is: the capture's
 * redactor (http1_body_secrets.ts) imports this, and most captures see no encoded request, so
 * they need not load it (~19 ms of CPU, reports/bench/capture.md Session 40). It is taken
 * synchronously (`process.getBuiltinModule`, Deno 2.x), so a caller never waits on an import
 * with bytes held, nor lets them pass while it is pending. A runtime without it throws an
 * `unsupported` ProtocolError: the caller's failure path (the redactor masks the body).
 */
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

type Zlib = typeof import("node:zlib");

let zlibModule: Zlib | undefined;

/** `node:zlib`, loaded on first use (see the module doc). */
export function zlibNow(): Zlib {
  if (zlibModule) return zlibModule;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
    .process;
  const z = proc?.getBuiltinModule?.("node:zlib") as Zlib | undefined;
  if (!z) throw new ProtocolError("unsupported", "node:zlib cannot be loaded in this runtime");
  return zlibModule = z;
}

/**
 * Decodes `body`. Throws a `ProtocolError`: unknown coding (`unsupported`), corrupt data or too
 * many zstd frames (`compression`), gzip, deflate or zstd data that ends inside itself
 * (`truncated`), output above `maxOutputSize` (default 64 MiB; `output-limit`).
 */
export function decodeContentSync(
  encoding: string | readonly string[],
  body: Uint8Array,
  options: { maxOutputSize?: number } = {},
): Uint8Array {
  const maxOutputLength = options.maxOutputSize ?? 64 * 1024 * 1024;
  let bytes = body;
  for (const coding of parseContentEncoding(encoding).reverse()) {
    const stage = stageFor(coding);
    if (stage === null) {
      throw new ProtocolError("unsupported", `unsupported content coding "${coding}"`);
    }
    try {
      bytes = decodeStageSync(stage, bytes, maxOutputLength);
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      const tooLarge = err instanceof RangeError ||
        (err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE";
      throw tooLarge
        ? new ProtocolError(
          "output-limit",
          `decoded body exceeds maxOutputSize (${maxOutputLength})`,
        )
        : new ProtocolError(errorCode(err), `${coding}: ${(err as Error).message}`);
    }
  }
  return bytes;
}

function decodeStageSync(stage: Stage, input: Uint8Array, maxOutputLength: number): Uint8Array {
  const zlib = zlibNow();
  const opts = { maxOutputLength };
  switch (stage) {
    case "gzip":
      return zlib.gunzipSync(input, opts);
    case "deflate": {
      return isZlibWrapped(input)
        ? zlib.inflateSync(input, opts)
        : zlib.inflateRawSync(input, opts);
    }
    case "br":
      return zlib.brotliDecompressSync(input, opts);
    case "zstd": {
      // deno-lint-ignore no-explicit-any
      const z = zlib as any;
      if (typeof z.zstdDecompressSync !== "function") {
        throw new ProtocolError("unsupported", "zstd is not available in this runtime's node:zlib");
      }
      // one frame at a time (see zstd_frames.ts), the bound over them all
      const parts: Uint8Array[] = [];
      let total = 0;
      const splitter = createZstdFrameSplitter();
      for (const { bytes: frame, skip } of splitter.split(input)) {
        if (skip) continue; // RFC 8878 3.1.2: ignored
        const out: Uint8Array = z.zstdDecompressSync(frame, {
          maxOutputLength: Math.max(1, maxOutputLength - total),
        });
        total += out.length;
        if (total > maxOutputLength) throw new RangeError("output above the bound");
        parts.push(out);
      }
      if (splitter.midFrame()) {
        throw new ProtocolError("truncated", "zstd data ends inside a frame");
      }
      return parts.length === 1 ? parts[0] : concatBytes(parts);
    }
  }
}
