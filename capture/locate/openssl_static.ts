/**
 * OpenSSL 3 linked statically into a stripped binary (Rust's `openssl-sys` with the vendored
 * feature, behind `native-tls`/`reqwest`: Codex up to 0.123 sends its model requests this way),
 * found from the function names its error sites carry.
 *
 * Source reasoning (OpenSSL 3.x include/openssl/err.h, ssl/ssl_lib.c):
 *
 *   #define ERR_raise(lib, reason) ERR_raise_data((lib),(reason),NULL)
 *   #define ERR_raise_data (ERR_new(), ERR_set_debug(OPENSSL_FILE,OPENSSL_LINE,OPENSSL_FUNC), \
 *                           ERR_set_error)
 *   int ssl_read_internal(SSL *s, void *buf, size_t num, size_t *readbytes) {
 *       ... if (sc->handshake_func == NULL) { ERR_raise(ERR_LIB_SSL, SSL_R_UNINITIALIZED); .. }
 *   int ssl_write_internal(SSL *s, const void *buf, size_t num, [uint64_t flags,]
 *                          size_t *written) { ... the same ... }
 *
 * OPENSSL_FUNC is `__func__`: every error site passes its own function's name, so the one
 * function whose code loads both "ssl_write_internal" and the "ssl/ssl_lib.c" file name is
 * ssl_write_internal (and likewise for reading). Every SSL_write, SSL_write_ex(2), SSL_read
 * and SSL_read_ex goes through these two, so hooking them sees all application data once.
 * Both report success as 1 and the byte count through an out-pointer, like SSL_read_ex.
 *
 * Where that pointer is: OpenSSL 3.3 added a `flags` argument to ssl_write_internal (for
 * SSL_write_ex2), moving `written` from the 4th to the 5th argument. Rather than trust a
 * version number, the callers say it: SSL_write and SSL_read pass the address of a local
 * (`lea reg, [rbp/rsp+N]`, or `mov reg, rsp`) for it, so the argument register loaded that
 * way before the direct calls is the out-pointer. The version text ("OpenSSL 3.x.y"), when
 * linked in, is the fallback.
 */

import type { ElfFile } from "../elf.ts";
import { Buffer } from "node:buffer";
import { hex } from "./hex.ts";
import { findCodeRefs, findCStrings, suffixTargets } from "./code_refs.ts";
import type { FunctionFinder, FunctionInfo } from "./functions.ts";
import { startHow } from "./signature.ts";
import type { HookFn, LocatedHook, MethodOutcome } from "./types.ts";
import { ARG_REG_NAMES, argIndex, X86 } from "./x86.ts";

export const OPENSSL_SSL_FILE = "ssl/ssl_lib.c";

const R = X86.Register;

interface Target {
  fn: HookFn;
  name: string;
}

const TARGETS: Target[] = [
  { fn: "ssl_write_internal", name: "ssl_write_internal" },
  { fn: "ssl_read_internal", name: "ssl_read_internal" },
];

export function locateOpenSslStatic(elf: ElfFile, finder: FunctionFinder): MethodOutcome {
  const method = "error-site function names (OpenSSL 3 __func__)";
  const files = findCStrings(elf, OPENSSL_SSL_FILE).filter((s) =>
    s.text === OPENSSL_SSL_FILE || s.text.endsWith("/" + OPENSSL_SSL_FILE)
  );
  if (!files.length) {
    return { method, hooks: [], note: `${method}: no "${OPENSSL_SSL_FILE}" string` };
  }
  const fileTargets = new Set<number>();
  for (const s of files) for (const t of suffixTargets(s, OPENSSL_SSL_FILE)) fileTargets.add(t);
  const found: { t: Target; fn: FunctionInfo; sites: number }[] = [];
  const notes: string[] = [];
  // the names' strings, then one pass over the code for the references to all of them
  const names = new Map(
    TARGETS.map((t) => [t, findCStrings(elf, t.name).filter((s) => s.text === t.name)]),
  );
  const all = new Set([...names.values()].flat().map((s) => s.vaddr));
  const allRefs = all.size ? findCodeRefs(elf, all) : [];
  for (const t of TARGETS) {
    const mine = new Set(names.get(t)!.map((s) => s.vaddr));
    const refs = allRefs.filter((r) => mine.has(r.target));
    const fns = new Map<number, FunctionInfo>();
    for (const r of refs) {
      const f = finder.at(r.ip);
      if (f && loadsAny(f, fileTargets)) fns.set(f.start, f);
    }
    if (fns.size !== 1) {
      notes.push(
        `"${t.name}": ${
          mine.size ? `${refs.length} code refs in ${fns.size} functions` : "no string"
        }`,
      );
      continue;
    }
    found.push({ t, fn: [...fns.values()][0], sites: refs.length });
  }
  if (found.length < TARGETS.length) {
    return { method, hooks: [], note: `${method}: ${notes.join("; ")}` };
  }
  finder.splitAtCallTargets();
  const placed = found.map((f) => ({ ...f, fn: finder.at(f.fn.start) ?? f.fn }));
  const version = openSslVersion(elf);
  const hooks: LocatedHook[] = [];
  for (const { t, fn, sites } of placed) {
    const calls = fn.callers ?? [];
    const [arg, how] = outPointerArg(finder, calls, t.fn, version);
    const fileOffset = elf.vaddrToOffset(fn.start);
    if (fileOffset === undefined) continue;
    const exact = fn.how === "eh_frame";
    hooks.push({
      fn: t.fn,
      vaddr: fn.start,
      fileOffset,
      lenArg: arg,
      confidence: exact ? 0.95 : fn.directCalls ? 0.9 : 0.7,
      evidence: `loads "${t.name}" and "${OPENSSL_SSL_FILE}" (${sites} error sites) in fn ` +
        `${hex(fn.start)}..${hex(fn.end)}; ${startHow(fn)}, ${fn.directCalls ?? 0} direct calls; ` +
        `byte count through ${ARG_REG_NAMES[arg]} (${how})`,
    });
  }
  if (hooks.length < TARGETS.length) {
    return { method, hooks: [], note: `${method}: a function start is in no loadable segment` };
  }
  return {
    library: "openssl",
    method,
    hooks,
    note: `${method}: ${files[0].text}${version ? ` (OpenSSL ${version.join(".")})` : ""}; ` +
      `ssl_write_internal and ssl_read_internal found`,
  };
}

/** Whether `f` loads the address of one of `targets`. */
function loadsAny(f: FunctionInfo, targets: Set<number>): boolean {
  return f.insns.some((i) =>
    (i.ripRef !== undefined && targets.has(i.ripRef)) ||
    (i.imm1 !== undefined && targets.has(i.imm1))
  );
}

/**
 * The argument that carries the byte-count out-pointer, voted by the direct callers (the
 * register loaded with a local's address before the call), else from the version.
 */
function outPointerArg(
  finder: FunctionFinder,
  calls: number[],
  fn: HookFn,
  version: number[] | undefined,
): [number, string] {
  const votes = new Map<number, number>();
  for (const ip of calls.slice(0, 16)) {
    const f = finder.at(ip);
    if (!f) continue;
    const k = f.insns.findIndex((i) => i.ip === ip);
    for (let j = k - 1; j >= 0 && j >= k - 12; j--) {
      const i = f.insns[j];
      if (i.flow !== "next") break;
      // lea reg, [rsp/rbp+N], or mov reg, rsp (a local at the top of the frame)
      const local = i.mnemonic === X86.Mnemonic.Lea
        ? i.memBase === R.RBP || i.memBase === R.RSP
        : i.mnemonic === X86.Mnemonic.Mov && (i.reg1 === R.RSP || i.reg1 === R.RBP);
      if (!local) continue;
      const a = argIndex(i.reg0);
      if (a === 3 || a === 4) votes.set(a, (votes.get(a) ?? 0) + 1);
    }
  }
  const best = [...votes].sort((a, b) => b[1] - a[1])[0];
  if (best) return [best[0], `a local's address in ${best[1]} of ${calls.length} callers`];
  if (fn === "ssl_write_internal" && version && (version[0] > 3 || version[1] >= 3)) {
    return [4, `OpenSSL ${version.join(".")} >= 3.3 has the flags argument`];
  }
  return [3, version ? `OpenSSL ${version.join(".")}` : "no caller and no version: assumed"];
}

/** [major, minor, patch] from OPENSSL_VERSION_TEXT ("OpenSSL 3.5.5 27 Jan 2026"). */
export function openSslVersion(elf: ElfFile): number[] | undefined {
  const needle = Buffer.from("OpenSSL 3.", "latin1");
  const CHUNK = 64 << 20;
  for (const seg of elf.segments) {
    if (seg.type !== 1 || seg.flags & 1 || !seg.filesz) continue;
    for (let off = 0; off < seg.filesz; off += CHUNK) {
      const b = elf.read(seg.offset + off, Math.min(CHUNK + 64, seg.filesz - off));
      const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
      for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + 1)) {
        const m = /^OpenSSL (\d+)\.(\d+)\.(\d+)[a-z-]* +\d+ \w+ \d{4}\0/.exec(
          buf.subarray(i, i + 48).toString("latin1"),
        );
        if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
      }
    }
  }
  return undefined;
}
