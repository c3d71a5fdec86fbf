/**
 * Symbols first: a file that names its TLS functions is hooked by those names, before any
 * signature work. Exported names (`.dynsym`: libssl.so, libgnutls.so, /usr/bin/node, which
 * exports OpenSSL for native addons) are the library's ABI, exact by definition; a binary that
 * kept its `.symtab` (debug and unstripped builds, static or not) names its local functions
 * just as exactly. A file that only imports the functions gets a reason pointing at the
 * library that defines them.
 *
 * The APIs are declared as data: the pair of functions that must both be there (the write and
 * the read side), and the others hooked when present (the `_ex` variants, the end of a
 * connection).
 */

import { type ElfFile, type ElfSymbol, STT_FUNC, STT_GNU_IFUNC } from "../elf.ts";
import { hex } from "./hex.ts";
import type { HookFn, Library, LocatedHook, MethodOutcome } from "./types.ts";

export interface SymbolApi {
  library: Library;
  /** both must be defined for the API to be hooked */
  required: [HookFn, HookFn];
  /** hooked too when defined */
  optional: HookFn[];
}

export const SYMBOL_APIS: readonly SymbolApi[] = [
  {
    library: "openssl",
    required: ["SSL_write", "SSL_read"],
    optional: ["SSL_write_ex", "SSL_read_ex", "SSL_free"],
  },
  {
    library: "gnutls",
    required: ["gnutls_record_send", "gnutls_record_recv"],
    optional: ["gnutls_deinit"],
  },
];

/** Every name any API hooks (for a quick scan of the symbol tables). */
export const SYMBOL_NAMES: ReadonlySet<string> = new Set(
  SYMBOL_APIS.flatMap((a) => [...a.required, ...a.optional]),
);

const isDefinedFunction = (s: ElfSymbol) =>
  s.shndx !== 0 && s.value !== 0 && (s.type === STT_FUNC || s.type === STT_GNU_IFUNC);

/** The symbol table's APIs whose required pair is defined, with their hooks. */
function fromTable(elf: ElfFile, syms: ElfSymbol[], table: string) {
  const defined = new Map<string, ElfSymbol>();
  for (const s of syms) {
    if (SYMBOL_NAMES.has(s.name) && isDefinedFunction(s)) defined.set(s.name, s);
  }
  const out: { api: SymbolApi; hooks: LocatedHook[] }[] = [];
  for (const api of SYMBOL_APIS) {
    if (!api.required.every((n) => defined.has(n))) continue;
    const hooks: LocatedHook[] = [];
    for (const name of [...api.required, ...api.optional]) {
      const s = defined.get(name);
      const fileOffset = s && elf.vaddrToOffset(s.value);
      if (!s || fileOffset === undefined) continue;
      hooks.push({
        fn: name,
        vaddr: s.value,
        fileOffset,
        confidence: 0.99,
        evidence: `${table} ${table === ".dynsym" ? "exports" : "names"} ${name} at ${
          hex(s.value)
        } (size ${s.size})`,
      });
    }
    if (api.required.every((n) => hooks.some((h) => h.fn === n))) out.push({ api, hooks });
  }
  return out;
}

/** Hooks by name from `.dynsym`, then `.symtab`. */
export function locateSymbols(elf: ElfFile): MethodOutcome {
  const dyn = elf.dynamicSymbols();
  for (const [table, syms] of [[".dynsym", dyn], [".symtab", elf.staticSymbols()]] as const) {
    const found = fromTable(elf, syms, table);
    if (!found.length) continue;
    const names = found.map((f) => f.api.required.join("/")).join(", ");
    return {
      library: found[0].api.library,
      method: table === ".dynsym" ? "dynamic symbols" : "symbol table (.symtab)",
      hooks: found.flatMap((f) => f.hooks),
      note: `symbols: ${table} defines ${names}`,
    };
  }
  const imported = dyn.filter((s) => SYMBOL_NAMES.has(s.name) && s.shndx === 0);
  if (imported.length) {
    const libs = elf.needed().filter((n) => /ssl|crypto|gnutls/i.test(n));
    return {
      method: "symbols",
      hooks: [],
      note: `symbols: ${imported.map((s) => s.name).slice(0, 2).join("/")} are imported` +
        (libs.length ? ` from ${libs.join(", ")}: hook that library instead` : ""),
    };
  }
  return { method: "symbols", hooks: [], note: "symbols: no TLS function in .dynsym or .symtab" };
}

/** Whether `.dynsym` or `.symtab` names any hooked function (cheap: names only). */
export function namesTlsFunctions(elf: ElfFile): boolean {
  return elf.dynamicSymbols().some((s) => SYMBOL_NAMES.has(s.name)) ||
    elf.staticSymbols().some((s) => SYMBOL_NAMES.has(s.name));
}
