/**
 * `crypto/tls.(*Conn).Write` and `.Read` of a Go binary, by name from `.gopclntab`
 * (see gopclntab.ts for why names survive stripping).
 *
 * Return-time hooks: a uretprobe replaces the return address on the stack, and Go copies
 * goroutine stacks when they grow, so the copied frame returns to a stale trampoline address
 * and the program crashes. Read's result must therefore be taken with plain uprobes on each
 * RET instruction of the function, whose file offsets are listed here (found by decoding the
 * function's bytes between its entry and the next function's entry).
 *
 * Entry-time hooks sit after the stack check, not at the entry. Every Go function that may
 * grow its stack opens with one (cmd/internal/obj/x86/obj6.go, stacksplit: `CMPQ SP,
 * stackguard0(R14)`, or `LEAQ -n(SP), R12; CMPQ R12, stackguard0(R14)` for larger frames,
 * then `JLS` to a block at the function's end that calls runtime.morestack and jumps back to
 * the entry). A call that outgrows its goroutine's stack thus passes the entry twice, and a
 * hook there recorded its bytes twice (measured: 411 entry hits for 401 Write calls made at
 * varied stack depths, tests/support/go.ts GO_STACK_WRITES). The instruction after that `JLS`
 * runs once per call, with the arguments still in RAX, RBX, RCX. A function without the check
 * (none expected) is hooked at its entry and its evidence says so.
 */

import type { ElfFile } from "../elf.ts";
import { hex } from "./hex.ts";
import { goVersion, PclntabError, type PclnTable, readPclntab } from "./gopclntab.ts";
import type { HookFn, LocatedHook, MethodOutcome } from "./types.ts";
import { decodeLinear, X86 } from "./x86.ts";

const WANTED: [HookFn, boolean][] = [
  ["crypto/tls.(*Conn).Write", false],
  ["crypto/tls.(*Conn).Read", true],
];

export function locateGoTls(elf: ElfFile): MethodOutcome {
  const method = "Go symbol table (.gopclntab)";
  let table: PclnTable | undefined;
  try {
    table = readPclntab(elf);
  } catch (e) {
    if (!(e instanceof PclntabError)) throw e;
    return { library: "go-crypto-tls", method, hooks: [], note: `${method}: ${e.message}` };
  }
  if (!table) return { method, hooks: [], note: `${method}: no .gopclntab` };
  const version = goVersion(elf);
  const hooks: LocatedHook[] = [];
  const missing: string[] = [];
  for (const [name, wantRets] of WANTED) {
    const matches = table.funcs.filter((f) => f.name === name);
    const f = matches[0];
    const fileOffset = f && elf.vaddrToOffset(f.entry);
    if (!f || fileOffset === undefined) {
      missing.push(name);
      continue;
    }
    const bytes = elf.read(fileOffset, f.end - f.entry);
    const body = afterStackCheck(bytes, f.entry, f.end);
    const at = body ?? f.entry;
    const hook: LocatedHook = {
      fn: name,
      vaddr: at,
      fileOffset: fileOffset + (at - f.entry),
      confidence: matches.length === 1 ? 0.99 : 0.5,
      evidence: `.gopclntab (magic ${hex(table.magic)}${version ? `, ${version}` : ""}` +
        `${table.textFrom ? `, text base from its ${table.textFrom}` : ""}) names ` +
        `${name} at ${hex(f.entry)}..${hex(f.end)}` +
        (matches.length > 1 ? `; ${matches.length} entries with that name` : "") +
        (body !== undefined
          ? `; hooked after its stack check at ${hex(at)}`
          : "; no stack check found: hooked at its entry (a call that grows the stack passes it twice)"),
    };
    if (wantRets) {
      hook.retOffsets = decodeLinear(bytes, f.entry)
        .filter((i) => i.flow === "ret")
        .map((i) => i.ip - f.entry + fileOffset);
      hook.evidence += `; ${hook.retOffsets.length} RET instructions`;
    }
    hooks.push(hook);
  }
  if (missing.length) {
    return {
      library: "go-crypto-tls",
      method,
      hooks: [],
      note: `${method}: ${table.funcs.length} functions, none named ${missing.join(" / ")}` +
        " (Go binary without crypto/tls, or the linker dropped it)",
    };
  }
  return {
    library: "go-crypto-tls",
    method,
    hooks,
    note: `${method}: ${table.funcs.length} functions; both found`,
  };
}

/**
 * The address of the instruction after the stack check in a Go function's prologue (see the
 * top of this file): the first `JBE` (`JLS`) among the first instructions that follows a `CMP`
 * against memory based on R14 (the goroutine, whose stackguard0 it compares) and jumps forward
 * inside the function. Undefined when there is none.
 */
export function afterStackCheck(bytes: Uint8Array, entry: number, end: number): number | undefined {
  const insns = decodeLinear(bytes.subarray(0, 64), entry, 8);
  let compared = false;
  for (const i of insns) {
    if (i.invalid) return undefined;
    if (i.mnemonic === X86.Mnemonic.Cmp && i.memBase === X86.Register.R14) compared = true;
    else if (i.flow === "jcc" && i.mnemonic === X86.Mnemonic.Jbe) {
      const t = i.target ?? 0;
      return compared && t > i.ip && t < end ? i.ip + i.len : undefined;
    } else if (i.flow !== "next" && i.flow !== "jcc") return undefined;
  }
  return undefined;
}
