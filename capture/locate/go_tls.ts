/**
 * `crypto/tls.(*Conn).Write` and `.Read` of a Go binary, by name from `.gopclntab`
 * (see gopclntab.ts for why names survive stripping).
 *
 * Return-time hooks: a uretprobe replaces the return address on the stack, and Go copies
 * goroutine stacks when they grow, so the copied frame returns to a stale trampoline address
 * and the program crashes. Read's result must therefore be taken with plain uprobes on each
 * RET instruction of the function, whose file offsets are listed here (found by decoding the
 * function's bytes between its entry and the next function's entry).
 */

import type { ElfFile } from "../elf.ts";
import { hex } from "./hex.ts";
import { goVersion, readPclntab } from "./gopclntab.ts";
import type { HookFn, LocatedHook, MethodOutcome } from "./types.ts";
import { decodeLinear } from "./x86.ts";

const WANTED: [HookFn, boolean][] = [
  ["crypto/tls.(*Conn).Write", false],
  ["crypto/tls.(*Conn).Read", true],
];

export function locateGoTls(elf: ElfFile): MethodOutcome {
  const method = "Go symbol table (.gopclntab)";
  const table = readPclntab(elf);
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
    const hook: LocatedHook = {
      fn: name,
      vaddr: f.entry,
      fileOffset,
      confidence: matches.length === 1 ? 0.99 : 0.5,
      evidence: `.gopclntab (magic ${hex(table.magic)}${version ? `, ${version}` : ""}) names ` +
        `${name} at ${hex(f.entry)}..${hex(f.end)}` +
        (matches.length > 1 ? `; ${matches.length} entries with that name` : ""),
    };
    if (wantRets) {
      const bytes = elf.read(fileOffset, f.end - f.entry);
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
