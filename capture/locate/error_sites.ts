/**
 * Error sites of one source file, grouped into the functions that contain them.
 *
 * `OPENSSL_PUT_ERROR(lib, reason)` is `ERR_put_error(lib, 0, reason, __FILE__, __LINE__)`
 * (include/openssl/err.h, unchanged since 2015), which compiles (System V ABI) to
 *   edi = lib, esi = 0, edx = reason, rcx = __FILE__, r8d = __LINE__; call ERR_put_error
 * with the constants as immediates next to the instruction that loads `__FILE__` (code_refs.ts
 * finds those). But ERR_put_error is internal to a static binary, and a whole-program (LTO)
 * build may drop its `unused` parameter (LLVM's dead-argument elimination rewrites every call
 * of a function nobody outside can call): the BoringSSL in Bun builds up to early 1.4.0
 * (Claude Code up to 2.1.228, opencode 1.x) calls it as
 *   edi = lib, esi = reason, rdx = __FILE__, ecx = __LINE__.
 * Only leading parameters can go (lib and reason differ per site, `unused` never does), and
 * the order stays, so the argument register the `__FILE__` load writes says where the others
 * are: reason is the argument before it, the line the one after, the library the first.
 * Several sites often share one `call` through a `jmp`, and the compiler may set
 * a register a few instructions before the `__FILE__` load; so the arguments are read by
 * walking back to the start of the basic block, then forward (following unconditional jumps)
 * to the call.
 *
 * A function's sites sorted by line number give the order of its `OPENSSL_PUT_ERROR` calls in
 * the source, whatever order the compiler laid the code out in: that (reason, line) sequence is
 * what signatures match. Inlined callees carry their own lines, so inlining keeps the order.
 */

import type { ElfFile } from "../elf.ts";
import { type CodeRef, findCodeRefs, findCStrings, suffixTargets } from "./code_refs.ts";
import type { LoadedRange } from "./fips_module.ts";
import type { FunctionFinder, FunctionInfo } from "./functions.ts";
import type { MethodOutcome } from "./types.ts";
import { ARG_REGS, argIndex, type Insn, isTerminator, X86 } from "./x86.ts";

export interface ErrorSite {
  ip: number;
  lib?: number;
  reason?: number;
  line?: number;
}

export interface SiteFunction {
  start: number;
  end: number;
  how: FunctionInfo["how"];
  /** Sites in this function's body, sorted by line (unknown lines last). */
  sites: ErrorSite[];
  /** Direct call targets in the body. */
  callees: number[];
  /** Number of instructions in the body. */
  size: number;
  /** Direct calls to `start` in the binary, when counted. */
  directCalls?: number;
}

export interface SourceFileSites {
  /** The `__FILE__` strings found (usually one). */
  files: string[];
  /** Where they are (virtual addresses). */
  at: number[];
  refs: number;
  functions: SiteFunction[];
  /** Refs whose function could not be determined. */
  unplaced: number;
}

/** Where `__FILE__` goes in the source's call: ERR_put_error(lib, unused, reason, file, line). */
export const FILE_ARG = 3;

/** The registers of lib, reason and line when `__FILE__` is argument `fileArg`. */
function layout(fileArg: number): [string, ReadonlySet<number>][] {
  const out: [string, ReadonlySet<number>][] = [
    ["reason", ARG_REGS[fileArg - 1]],
    ["line", ARG_REGS[fileArg + 1]],
  ];
  // with `unused` dropped the library is the first argument; with both kept, too
  if (fileArg >= 2) out.push(["lib", ARG_REGS[0]]);
  return out;
}
const NO_WRITE = new Set<number>([X86.Mnemonic.Cmp, X86.Mnemonic.Test, X86.Mnemonic.Push]);
const PUSH_POP = new Set<number>([X86.Mnemonic.Push, X86.Mnemonic.Pop]);
/** Instructions that move the stack pointer with no operand naming it. */
const MOVES_RSP = new Set<number>([
  X86.Mnemonic.Leave,
  X86.Mnemonic.Pushf,
  X86.Mnemonic.Pushfq,
  X86.Mnemonic.Popf,
  X86.Mnemonic.Popfq,
  X86.Mnemonic.Enter,
]);

/**
 * Finds the `__FILE__` string ending in one of `suffixes` (in the read-only data, and in the
 * ranges `also`: a FIPS module's code), its error sites and their functions.
 */
export function sourceFileSites(
  elf: ElfFile,
  finder: FunctionFinder,
  suffixes: string[],
  also: readonly LoadedRange[] = [],
): SourceFileSites {
  const files: string[] = [];
  const at: number[] = [];
  const targets = new Set<number>();
  for (const suffix of suffixes) {
    for (const s of findCStrings(elf, suffix, 16, also)) {
      files.push(s.text);
      at.push(s.vaddr);
      for (const t of suffixTargets(s, suffix)) targets.add(t);
    }
  }
  const refs = targets.size ? findCodeRefs(elf, targets) : [];
  // find the (padding-bounded) functions first, then cut them at entries inside them
  for (const ref of refs) finder.at(ref.ip);
  finder.splitAtCallTargets();
  return { files, at, refs: refs.length, ...groupSites(finder, refs) };
}

function groupSites(finder: FunctionFinder, refs: CodeRef[]) {
  const byStart = new Map<number, { fn: FunctionInfo; sites: ErrorSite[] }>();
  let unplaced = 0;
  const placed: [FunctionInfo, CodeRef, number, number][] = [];
  const votes = new Map<number, number>();
  for (const ref of refs) {
    const fn = finder.at(ref.ip);
    if (!fn) {
      unplaced++;
      continue;
    }
    const k = fileLoad(fn, ref);
    const arg = k >= 0 ? argIndex(fn.insns[k].reg0) : -1;
    if (arg >= 1 && arg <= 4) votes.set(arg, (votes.get(arg) ?? 0) + 1);
    placed.push([fn, ref, k, arg]);
  }
  // a site whose file pointer goes through another register first uses the file's usual layout
  const usual = [...votes].sort((a, b) => b[1] - a[1])[0]?.[0] ?? FILE_ARG;
  for (const [fn, ref, k, arg] of placed) {
    const entry = byStart.get(fn.start) ?? { fn, sites: [] };
    byStart.set(fn.start, entry);
    entry.sites.push(readSite(fn, ref, k, arg >= 1 && arg <= 4 ? arg : usual));
  }
  const functions: SiteFunction[] = [];
  for (const { fn, sites } of byStart.values()) {
    sites.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || a.ip - b.ip);
    const callees = [
      ...new Set(fn.insns.filter((i) => i.flow === "call" && i.target).map((i) => i.target!)),
    ];
    functions.push({
      start: fn.start,
      end: fn.end,
      how: fn.how,
      sites,
      callees,
      size: fn.insns.length,
      ...(fn.directCalls !== undefined ? { directCalls: fn.directCalls } : {}),
    });
  }
  functions.sort((a, b) => a.start - b.start);
  return { functions, unplaced };
}

/** The index in `fn.insns` of the instruction that loads `__FILE__` for `ref`, or -1. */
function fileLoad(fn: FunctionInfo, ref: CodeRef): number {
  return fn.insns.findIndex((i) =>
    Math.abs(i.ip - ref.ip) <= 1 && (i.imm1 === ref.target || i.ripRef === ref.target)
  );
}

/**
 * Reads lib/reason/line of the `ERR_put_error` call that the `__FILE__` load `insns[k]` feeds,
 * `__FILE__` being argument `fileArg` of that call.
 */
function readSite(fn: FunctionInfo, ref: CodeRef, k: number, fileArg: number): ErrorSite {
  const insns = fn.insns;
  const site: ErrorSite = { ip: k >= 0 ? insns[k].ip : ref.ip };
  if (k < 0) return site;
  const regs = layout(fileArg);
  const targets = new Set(insns.map((i) => i.target).filter((t) => t !== undefined));
  const vals = new Map<string, number | undefined>();
  const apply = (i: Insn, overwrite: boolean, popped?: number) => {
    for (const [name, set] of regs) {
      if (!set.has(i.reg0) || NO_WRITE.has(i.mnemonic)) continue;
      if (!overwrite && vals.has(name)) continue;
      const isMovImm = i.mnemonic === X86.Mnemonic.Mov && i.imm1 !== undefined;
      vals.set(name, isMovImm ? i.imm1 : i.mnemonic === X86.Mnemonic.Pop ? popped : undefined);
    }
  };
  // A size-optimised build (clang -Oz, as in Deno's aws-lc) loads small constants with
  // `push imm8; pop reg` (3 bytes, not 5): a pop takes the value of the push that fed it, walking
  // back (the instruction before it) and forwards (a model of the stack along the path taken).
  const pushed = (i: Insn | undefined) =>
    i?.mnemonic === X86.Mnemonic.Push && i.imm0 !== undefined ? i.imm0 : undefined;
  // Backwards to the start of the basic block: the latest write wins.
  for (let j = k - 1; j >= 0; j--) {
    const i = insns[j];
    if (isTerminator(i) || i.flow === "call" || i.flow === "jcc" || i.flow === "icall") break;
    // a pop other paths jump to may hold what they pushed: only one reached by falling through
    // from its push alone takes the push's value
    apply(i, false, targets.has(i.ip) ? undefined : pushed(insns[j - 1]));
    if (targets.has(i.ip)) break;
  }
  // Forwards to the call, following unconditional jumps within the function; pushes and pops
  // on the way are followed on a model of the stack (a push may come before a jump, its pop
  // after it).
  const index = new Map(insns.map((i, n) => [i.ip, n]));
  const stack: (number | undefined)[] = [];
  let j = k + 1, jumps = 0;
  while (j < insns.length) {
    const i = insns[j];
    if (i.flow === "call") break;
    if (i.flow === "jmp" && i.target !== undefined && index.has(i.target) && jumps++ < 4) {
      j = index.get(i.target)!;
      continue;
    }
    if (i.flow !== "next") break;
    // anything else that moves the stack pointer (add/sub/lea/mov to rsp, leave, pushfq,
    // popfq) leaves the model's slots unknown
    if (MOVES_RSP.has(i.mnemonic) || (!PUSH_POP.has(i.mnemonic) && i.reg0 === X86.Register.RSP)) {
      stack.length = 0;
    }
    if (i.mnemonic === X86.Mnemonic.Push) stack.push(pushed(i));
    apply(i, true, i.mnemonic === X86.Mnemonic.Pop ? stack.pop() : undefined);
    j++;
  }
  site.lib = vals.get("lib");
  site.reason = vals.get("reason");
  site.line = vals.get("line");
  return site;
}

/** "reason@line" list, for evidence strings. */
/**
 * Which BoringSSL-family library the found files belong to (aws-lc or BoringSSL), and the
 * functions with only the sites of library `lib` (or of no known library).
 */
function librarySites(
  found: SourceFileSites,
  lib: number,
): { library: "aws-lc" | "boringssl"; fns: SiteFunction[] } {
  return {
    library: found.files.some((f) => f.includes("aws-lc")) ? "aws-lc" : "boringssl",
    fns: found.functions.map((f) => ({
      ...f,
      sites: f.sites.filter((s) => s.lib === undefined || s.lib === lib),
    })),
  };
}

/** A BoringSSL-family source file's error sites of one library, as a locator method reads them. */
export interface LibraryFileSites {
  found: SourceFileSites;
  library: "aws-lc" | "boringssl";
  /** its functions, with the sites of that library only (`librarySites`) */
  fns: SiteFunction[];
  /** the method's note on this file: `METHOD: FILE: N sites in M functions (K unplaced); WHAT` */
  note(what: string): string;
}

/**
 * The error sites of library `lib` in the `__FILE__` string ending in one of `suffixes`, for
 * locator method `method` (one rule for every error-site locator: ssl_lib.cc's, aead.c's); or,
 * when the binary has no such string, the method's outcome saying so (no hooks).
 */
export function libraryFileSites(
  elf: ElfFile,
  finder: FunctionFinder,
  suffixes: string[],
  lib: number,
  method: string,
  also: readonly LoadedRange[] = [],
): LibraryFileSites | MethodOutcome {
  const found = sourceFileSites(elf, finder, suffixes, also);
  if (!found.files.length) {
    return { method, hooks: [], note: `${method}: no "${suffixes.join('" / "')}" string` };
  }
  const stats = `${found.refs} sites in ${found.functions.length} functions` +
    (found.unplaced ? ` (${found.unplaced} unplaced)` : "");
  return {
    found,
    ...librarySites(found, lib),
    note: (what: string) => `${method}: ${found.files[0]}: ${stats}; ${what}`,
  };
}

/** The tree a `__FILE__` path belongs to: the path without its in-library part. */
export function sourceRoot(file: string, inLibrary: string): string {
  const at = file.lastIndexOf(inLibrary);
  return at >= 0 ? file.slice(0, at) : file;
}

export function describeSites(sites: ErrorSite[], names: Record<number, string> = {}): string {
  return sites.map((s) => `${names[s.reason ?? -1] ?? s.reason ?? "?"}@${s.line ?? "?"}`).join(
    ",",
  );
}
