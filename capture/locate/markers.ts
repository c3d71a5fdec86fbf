/**
 * The source-path strings the quick scan looks for (quick_scan.ts), each with the hint it
 * gives: their presence means a TLS stack's error sites or panic locations may be found. The
 * capture's own inspection reads the unnamed stacks' ones (tls_targets.ts) without loading the
 * quick scan.
 */

/** [hint, marker]: BoringSSL / aws-lc / OpenSSL error sites, ring's source paths. */
export const MARKERS: [string, string][] = [
  ["ssl_lib.cc", "/ssl/ssl_lib.cc\0"],
  // OpenSSL 3's error sites (ssl/ssl_lib.c, relative or absolute)
  ["ssl_lib.c", "ssl/ssl_lib.c\0"],
  ["aead.c", "/cipher/aead.c\0"],
  ["aead.c", "/cipher/aead.cc\0"],
  ["aead.c", "/cipher/aead.cc.inc\0"],
  // ring's source paths (panic locations): from the cargo registry, or a vendored copy
  ["ring", "/ring-0."],
  ["ring", "/ring/src/aead"],
];
