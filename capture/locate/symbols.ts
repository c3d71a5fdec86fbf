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

import {
  type ElfFile,
  type ElfSymbol,
  SHT_DYNSYM,
  SHT_SYMTAB,
  STT_FUNC,
  STT_GNU_IFUNC,
} from "../elf.ts";
import { anchoredNeedles, findNeedles } from "./anchored.ts";
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

/** The AEAD API a libcrypto exports for a libssl beside it (BoringSSL's, aws-lc's): not hooked
 * by name, but looked for (capture/tls_targets.ts). */
export const LIBCRYPTO_AEAD_NAMES: ReadonlySet<string> = new Set([
  "EVP_AEAD_CTX_seal",
  "EVP_AEAD_CTX_open",
]);

/** Every name looked for in a string table, each followed by the NUL that ends it there. */
const LOOKED_FOR = [...SYMBOL_NAMES, ...LIBCRYPTO_AEAD_NAMES];
const IN_STRINGS = anchoredNeedles(LOOKED_FOR.map((n) => `${n}\0`), "\0");
const namesFound = new WeakMap<ElfFile, Map<number, Set<string>>>();

/**
 * Which of the looked-for names (SYMBOL_NAMES, LIBCRYPTO_AEAD_NAMES) the string table of the
 * symbol table of type `type` (SHT_SYMTAB, SHT_DYNSYM) holds, whole: a symbol can have such a
 * name only then. Decoding a table's symbols costs a few µs each (a C++ library's 96,000 in
 * `.symtab`: 0.4 s); searching its names' bytes, a few ms, once per open file.
 */
export function namesInStrings(elf: ElfFile, type: number): Set<string> {
  let byType = namesFound.get(elf);
  if (!byType) namesFound.set(elf, byType = new Map());
  let names = byType.get(type);
  if (names) return names;
  names = new Set();
  const tab = elf.sections.find((s) => s.type === type);
  const strs = tab && elf.sections[tab.link];
  if (strs) {
    const found = LOOKED_FOR.map(() => false);
    findNeedles(elf.sectionData(strs), IN_STRINGS, found);
    LOOKED_FOR.forEach((n, i) => found[i] && names!.add(n));
  }
  byType.set(type, names);
  return names;
}

/** Whether the table's string table holds a hooked function's name (namesInStrings). */
export function mayNameTlsFunctions(elf: ElfFile, type: number): boolean {
  return [...namesInStrings(elf, type)].some((n) => SYMBOL_NAMES.has(n));
}

/** The symbols of `.symtab` when it may name a hooked function, else none (not decoded). */
function staticSymbolsNamingTls(elf: ElfFile): ElfSymbol[] {
  return mayNameTlsFunctions(elf, SHT_SYMTAB) ? elf.staticSymbols() : [];
}

/** Hooks by name from `.dynsym`, then `.symtab`. */
export function locateSymbols(elf: ElfFile): MethodOutcome {
  // a `.dynsym` without the names is not decoded: nothing in it is defined or imported here
  const dyn = mayNameTlsFunctions(elf, SHT_DYNSYM) ? elf.dynamicSymbols() : [];
  const tables = [[".dynsym", () => dyn], [".symtab", () => staticSymbolsNamingTls(elf)]] as const;
  for (const [table, symbols] of tables) {
    const syms = symbols();
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

/** Whether `.dynsym` or `.symtab` names any hooked function (cheap: a table is decoded only
 * when its string table holds such a name). */
export function namesTlsFunctions(elf: ElfFile): boolean {
  const names = (type: number, syms: () => ElfSymbol[]) =>
    mayNameTlsFunctions(elf, type) && syms().some((s) => SYMBOL_NAMES.has(s.name));
  return names(SHT_DYNSYM, () => elf.dynamicSymbols()) ||
    names(SHT_SYMTAB, () => elf.staticSymbols());
}
