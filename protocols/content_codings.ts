/**
 * HTTP `Content-Encoding` values read (RFC 9110 8.4): the codings of a field (or of several,
 * joined), the decoding stage each names, the form a `deflate` body takes, and what a zlib
 * error means. Shared by the streaming decoder (content_encoding.ts) and the synchronous one
 * (content_decode_sync.ts); no `node:zlib` here, so that reading a header loads none.
 */

/** Splits a Content-Encoding header value (or values) into lowercase codings, in applied order. */
export function parseContentEncoding(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const values = typeof value === "string" ? [value] : value;
  return values.flatMap((v) => v.split(",")).map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity");
}

export type Stage = "gzip" | "deflate" | "br" | "zstd";

/** The decoding stage of a (lowercase) coding, or null: not one this project decodes. */
export function stageFor(coding: string): Stage | null {
  switch (coding) {
    case "gzip":
    case "x-gzip":
      return "gzip";
    case "deflate":
      return "deflate";
    case "br":
      return "br";
    case "zstd":
      return "zstd";
    default:
      return null;
  }
}

/**
 * Whether a `deflate` body is zlib-wrapped (RFC 9110 says it is, but raw deflate is common): a
 * zlib header has CM = 8 and a 16-bit check value divisible by 31.
 */
export function isZlibWrapped(firstBytes: Uint8Array): boolean {
  const [cmf, flg] = firstBytes;
  return (cmf & 0x0f) === 8 && ((cmf << 8) | flg) % 31 === 0;
}

/**
 * `truncated` when zlib ran out of input inside the data (Z_BUF_ERROR: "unexpected end of
 * file"), `compression` for anything else it could not decode.
 */
export function errorCode(err: unknown): "truncated" | "compression" {
  return (err as { code?: string }).code === "Z_BUF_ERROR" ? "truncated" : "compression";
}
