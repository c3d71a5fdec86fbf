/** The locator's result types (see mod.ts for what they mean to a caller). */

export type HookFn =
  | "SSL_write"
  | "SSL_read"
  | "SSL_write_ex"
  | "SSL_read_ex"
  | "SSL_free"
  | "gnutls_record_send"
  | "gnutls_record_recv"
  | "gnutls_deinit"
  | "ssl_write_internal"
  | "ssl_read_internal"
  | "EVP_AEAD_CTX_seal"
  | "EVP_AEAD_CTX_open"
  | "EVP_AEAD_CTX_seal_scatter"
  | "EVP_AEAD_CTX_open_gather"
  | "crypto/tls.(*Conn).Write"
  | "crypto/tls.(*Conn).Read"
  | "ring_aes_gcm_seal"
  | "ring_aes_gcm_open"
  | "ring_chacha20_poly1305_seal"
  | "ring_chacha20_poly1305_open";

export type Library = "boringssl" | "aws-lc" | "go-crypto-tls" | "openssl" | "ring" | "gnutls";

export interface LocatedHook {
  fn: HookFn;
  vaddr: number;
  /** What a uprobe attaches at. */
  fileOffset: number;
  /** File offsets of RET instructions, where uretprobes are unsafe (Go). */
  retOffsets?: number[];
  /** Which argument (0 = rdi .. 5 = r9) holds the per-direction context (ring's key). */
  ctxArg?: number;
  /** Which argument holds the pointer the byte count is returned through (OpenSSL's
   * ssl_write_internal: rcx before 3.3, r8 since). */
  lenArg?: number;
  /** 0..1 */
  confidence: number;
  /** One line: how it was found. */
  evidence: string;
  /** Other candidates for the same function, best first (tried if this one proves wrong). */
  alternates?: LocatedHook[];
}

export interface LocateResult {
  ok: boolean;
  library?: Library;
  /** Every library hooked, when more than one (a binary with both aws-lc and ring). */
  libraries?: Library[];
  method: string;
  /** The functions to hook. */
  hooks: LocatedHook[];
  /** Functions found on the way that are not to be hooked (e.g. seal_scatter, which rustls
   * does not call), for whoever wants to check or extend. */
  related?: LocatedHook[];
  /** Every method tried, with its outcome. */
  tried: string[];
  /** When !ok: exactly why. */
  reason?: string;
  buildId?: string;
  cacheKey: string;
  cached: boolean;
  durationMs: number;
}

/** What one method returns: hooks when it recognised its library, or why not. */
export interface MethodOutcome {
  library?: Library;
  method: string;
  hooks: LocatedHook[];
  related?: LocatedHook[];
  /** One line for `tried`. */
  note: string;
  /** The library's source tree, from its `__FILE__` strings (e.g. ../../vendor/boringssl). */
  sourceRoot?: string;
}
