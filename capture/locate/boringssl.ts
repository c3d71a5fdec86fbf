/**
 * SSL_write / SSL_read of a statically linked, stripped BoringSSL (or aws-lc's libssl, which is
 * BoringSSL's), found from the error sites of `ssl/ssl_lib.cc`.
 *
 * Source reasoning (BoringSSL ssl/ssl_lib.cc, stable since QUIC support landed in 2019):
 *
 *   int SSL_write(SSL *ssl, const void *buf, int num) {
 *     ssl_reset_error_state(ssl);
 *     if (ssl->quic_method != nullptr)  PUT_ERROR(ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED)
 *     if (ssl->do_handshake == nullptr) PUT_ERROR(SSL_R_UNINITIALIZED)
 *     do { if (!ssl_can_write(ssl)) { ... if (ret == 0) PUT_ERROR(SSL_R_SSL_HANDSHAKE_FAILURE) }
 *          if (num < 0) PUT_ERROR(SSL_R_BAD_LENGTH)
 *          ret = ssl->method->write_app_data(...) } while (needs_handshake);
 *   }
 * Older versions checked `write_shutdown` (SSL_R_PROTOCOL_IS_SHUTDOWN) between UNINITIALIZED and
 * the handshake instead of BAD_LENGTH after it; both orders are accepted.
 *
 *   static int ssl_read_impl(SSL *ssl) {            // UNINITIALIZED, then SSL_HANDSHAKE_FAILURE
 *   int SSL_read(SSL *ssl, void *buf, int num) { int ret = SSL_peek(ssl, buf, num); ...consume }
 *   int SSL_peek(SSL *ssl, void *buf, int num) {
 *     if (ssl->quic_method != nullptr) PUT_ERROR(ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED)
 *     int ret = ssl_read_impl(ssl); ... memcpy }
 * ssl_read_impl is defined above SSL_peek, so in line order the read path is
 * UNINITIALIZED, SSL_HANDSHAKE_FAILURE, SHOULD_NOT_HAVE_BEEN_CALLED, whether ssl_read_impl is
 * inlined (its sites are in SSL_read's body) or called (its sites are in a direct callee). The
 * guard itself (SSL_peek inlined into SSL_read) must be in the function's own body. SSL_shutdown
 * also calls ssl_read_impl but reports SSL_R_APPLICATION_DATA_ON_SHUTDOWN, and SSL_write's own
 * body has BAD_LENGTH / PROTOCOL_IS_SHUTDOWN: both are excluded. If SSL_peek survives as its own
 * function it matches too; SSL_read is then the candidate that calls the other.
 *
 * The reason codes are the public constants of include/openssl/ssl.h and err.h (never
 * renumbered); the tests check them against the error-string table inside the pinned Claude
 * Code binary.
 */

import type { ElfFile } from "../elf.ts";
import { libraryFileSites, sourceRoot } from "./error_sites.ts";
import type { FunctionFinder } from "./functions.ts";
import {
  boundsMethod,
  byTightestMatch,
  type Candidate,
  candidates,
  hasReason,
  locatedHook,
  matchSteps,
  reasonNames,
  type Step,
} from "./signature.ts";
import type { HookFn, LocatedHook, MethodOutcome } from "./types.ts";

export const ERR_LIB_SSL = 16;
export const SSL_REASONS = {
  SHOULD_NOT_HAVE_BEEN_CALLED: 66, // ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED = 2 | ERR_R_FATAL
  BAD_LENGTH: 111,
  PROTOCOL_IS_SHUTDOWN: 194,
  SSL_HANDSHAKE_FAILURE: 215,
  UNINITIALIZED: 226,
  APPLICATION_DATA_ON_SHUTDOWN: 291,
} as const;
const R = SSL_REASONS;
const NAMES = reasonNames(R);

export const SSL_LIB_FILE = "/ssl/ssl_lib.cc";

const WRITE_SIGNATURES: Step[][] = [
  [
    { anyOf: [R.SHOULD_NOT_HAVE_BEEN_CALLED], optional: true },
    { anyOf: [R.UNINITIALIZED] },
    { anyOf: [R.SSL_HANDSHAKE_FAILURE] },
    { anyOf: [R.BAD_LENGTH] },
  ],
  [
    { anyOf: [R.SHOULD_NOT_HAVE_BEEN_CALLED], optional: true },
    { anyOf: [R.UNINITIALIZED] },
    { anyOf: [R.PROTOCOL_IS_SHUTDOWN] },
    { anyOf: [R.SSL_HANDSHAKE_FAILURE] },
  ],
];
const READ_SIGNATURE: Step[] = [
  { anyOf: [R.UNINITIALIZED] },
  { anyOf: [R.SSL_HANDSHAKE_FAILURE] },
  { anyOf: [R.SHOULD_NOT_HAVE_BEEN_CALLED] },
];

export function locateBoringSsl(elf: ElfFile, finder: FunctionFinder): MethodOutcome {
  const method = "error-site signature (ssl_lib.cc reason sequence)";
  const sites = libraryFileSites(elf, finder, [SSL_LIB_FILE], ERR_LIB_SSL, method);
  if (!("fns" in sites)) return sites;
  const { found, library, fns, note } = sites;
  const byStart = new Map(fns.map((f) => [f.start, f]));

  const writes = candidates(fns, WRITE_SIGNATURES);
  const reads: Candidate[] = [];
  for (const fn of fns) {
    if (!hasReason(fn, [R.SHOULD_NOT_HAVE_BEEN_CALLED])) continue;
    if (hasReason(fn, [R.BAD_LENGTH, R.PROTOCOL_IS_SHUTDOWN, R.APPLICATION_DATA_ON_SHUTDOWN])) {
      continue;
    }
    const calleeSites = fn.callees.flatMap((c) => byStart.get(c)?.sites ?? []);
    const all = [...fn.sites, ...calleeSites].sort((a, b) =>
      (a.line ?? Infinity) - (b.line ?? Infinity)
    );
    const match = matchSteps(all, READ_SIGNATURE);
    // The quic guard must be this function's own (SSL_peek inlined), not a callee's.
    if (match && fn.sites.includes(match.sites[2])) reads.push({ fn, match });
  }

  const rankedWrites = byTightestMatch(writes);
  const rankedReads = rankReads(reads);
  const write = rankedWrites[0];
  const read = rankedReads[0];
  const readCount = reads.length > 1 && rankedReads.resolved ? 1 : reads.length;
  if (!write || !read) {
    const missing = [!write && "SSL_write", !read && "SSL_read"].filter(Boolean).join(" and ");
    return {
      library,
      method,
      hooks: [],
      note: note(
        `no function matches ${missing} (${writes.length} write / ${reads.length} read ` +
          "candidates)",
      ),
    };
  }
  const hooks: LocatedHook[] = [];
  const toHook = (fnName: HookFn, c: Candidate, n: number) =>
    locatedHook(elf, fnName, c, n, "ssl_lib.cc", NAMES);
  for (
    const [fnName, ranked, n] of [
      ["SSL_write", rankedWrites, writes.length],
      ["SSL_read", rankedReads, readCount],
    ] as [HookFn, Candidate[], number][]
  ) {
    const hook = toHook(fnName, ranked[0], n);
    if (!hook) continue;
    // the other candidates, in rank order: tried at run time if this one proves wrong
    const alternates = ranked.slice(1, 4).map((c) => toHook(fnName, c, n)).filter((h) =>
      h !== undefined
    );
    hooks.push(alternates.length ? { ...hook, alternates } : hook);
  }
  return {
    library,
    sourceRoot: sourceRoot(found.files[0], SSL_LIB_FILE),
    method: `${method} + ${boundsMethod(write.fn)}`,
    hooks,
    note: note("SSL_write and SSL_read found"),
  };
}

/** Read candidates, best first; `resolved` when the first is certain among several. */
function rankReads(c: Candidate[]): Candidate[] & { resolved?: boolean } {
  if (c.length <= 1) return [...c];
  // SSL_read calls SSL_peek; never the other way round.
  const starts = new Set(c.map((x) => x.fn.start));
  const isCaller = (x: Candidate) => x.fn.callees.some((t) => starts.has(t) && t !== x.fn.start);
  const callers = c.filter(isCaller);
  const ranked: Candidate[] & { resolved?: boolean } = [...c].sort((a, b) =>
    Number(isCaller(b)) - Number(isCaller(a)) || b.fn.size - a.fn.size
  );
  ranked.resolved = callers.length === 1;
  return ranked;
}
