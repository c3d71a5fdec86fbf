/**
 * What a build is made of, from strings its runtime and libraries carry: the JavaScript runtime
 * (Bun's `Bun vX.Y.Z`, Node's release URL `nodejs.org/download/release/vX.Y.Z/`) and the TLS
 * code linked in (OpenSSL's version text, BoringSSL's source paths, the Rust crates `ring`,
 * `aws-lc-rs`, `rustls`, `openssl-sys` by their registry paths or the vendored crate directories
 * of a Bazel build, `vendor__rustls-0.23.46/src/`, as in GitHub Copilot CLI's runtime.node; Go's
 * `crypto/tls`). For the matrix's runtime and TLS columns: it says what is inside, the locator
 * says what is hooked.
 */

import { Buffer } from "node:buffer";
import { concatBytes } from "../../kit/bytes.ts";

export interface BuildMakeup {
  runtime: string;
  /** TLS code found, e.g. ["BoringSSL", "OpenSSL 3.5.5", "ring 0.17.14"] */
  tls: string[];
}

const PATTERNS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/OpenSSL (\d+\.\d+\.\d+[a-z]*)(?:\+quic)? +\d+ \w+ \d{4}/, (m) => `OpenSSL ${m[1]}`],
  [/vendor\/boringssl\/ssl\/ssl_lib\.cc/, () => "BoringSSL"],
  [/(?:\/|__)ring-(\d+\.\d+\.\d+)\/src\/aead/, (m) => `ring ${m[1]}`],
  [/(?:\/|__)aws-lc-sys-(\d+\.\d+\.\d+)\//, (m) => `aws-lc-sys ${m[1]}`],
  // a path from the source tree's root too (`aws-lc/crypto/...` after a NUL, a Bazel build)
  [/(?<![\w.-])aws-lc\/crypto\/fipsmodule\/cipher\/aead\.c/, () => "aws-lc"],
  [/(?:\/|__)rustls-(\d+\.\d+\.\d+)\/src\//, (m) => `rustls ${m[1]}`],
  [/(?:\/|__)openssl-sys-(\d+\.\d+\.\d+)\//, (m) => `openssl-sys ${m[1]}`],
  [/GnuTLS (\d+\.\d+\.\d+)/, (m) => `GnuTLS ${m[1]}`],
];

const RUNTIMES: [RegExp, (m: RegExpExecArray) => string][] = [
  [/Bun v(\d+\.\d+\.\d+)/, (m) => `Bun ${m[1]}`],
  [/nodejs\.org\/download\/release\/v(\d+\.\d+\.\d+)\//, (m) => `Node ${m[1]}`],
  [/\bgo1\.(\d+(?:\.\d+)?)\b/, (m) => `Go 1.${m[1]}`],
  [/\/rustc\/[0-9a-f]{40}\//, () => "Rust"],
];

/** Reads `path` in chunks and reports its runtime and TLS libraries. */
export async function buildMakeup(path: string): Promise<BuildMakeup> {
  const tls = new Set<string>();
  let runtime: string | undefined;
  const file = await Deno.open(path, { read: true });
  try {
    const OVERLAP = 256;
    const chunk = new Uint8Array(16 << 20);
    let tail = new Uint8Array(0);
    for (;;) {
      const n = await file.read(chunk);
      if (n === null) break;
      const joined = concatBytes([tail, chunk.subarray(0, n)]);
      const text = Buffer.from(joined.buffer, joined.byteOffset, joined.length).toString("latin1");
      for (const [re, name] of PATTERNS) {
        const m = re.exec(text);
        if (m) tls.add(name(m));
      }
      for (const [re, name] of runtime ? [] : RUNTIMES) {
        const m = re.exec(text);
        if (m) {
          runtime = name(m);
          break;
        }
      }
      tail = joined.slice(Math.max(0, joined.length - OVERLAP));
    }
  } finally {
    file.close();
  }
  // aws-lc inside aws-lc-sys: one entry
  if ([...tls].some((t) => t.startsWith("aws-lc-sys"))) tls.delete("aws-lc");
  return { runtime: runtime ?? "native", tls: [...tls].sort() };
}
