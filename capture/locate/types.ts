/** The locator's result types (see mod.ts for what they mean to a caller). */

export type HookFn =
  | "SSL_write"
  | "SSL_read"
  | "EVP_AEAD_CTX_seal"
  | "EVP_AEAD_CTX_open"
  | "EVP_AEAD_CTX_seal_scatter"
  | "EVP_AEAD_CTX_open_gather"
  | "crypto/tls.(*Conn).Write"
  | "crypto/tls.(*Conn).Read";

export type Library = "boringssl" | "aws-lc" | "go-crypto-tls" | "openssl";

export interface LocatedHook {
  fn: HookFn;
  vaddr: number;
  /** What a uprobe attaches at. */
  fileOffset: number;
  /** File offsets of RET instructions, where uretprobes are unsafe (Go). */
  retOffsets?: number[];
  /** 0..1 */
  confidence: number;
  /** One line: how it was found. */
  evidence: string;
}

export interface LocateResult {
  ok: boolean;
  library?: Library;
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
}
