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
import { anchoredNeedles, needlePositions } from "./anchored.ts";
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

const nameStarts = new WeakMap<ElfFile, Map<string, number[]>>();

/**
 * The symbols of the table of type `type` (SHT_SYMTAB, SHT_DYNSYM) named one of `names`,
 * decoding no other: where the names begin in the table's string table (a search of its bytes,
 * once per name and open file) says which entries to decode. Decoding all of a table costs a
 * few µs a symbol (node's 75,000 exports, a C++ library's 96,000 in `.symtab`, a Rust agent's
 * 466,000: 0.2 to 1.3 s); the search, a few ms.
 */
export function symbolsNamed(
  elf: ElfFile,
  type: number,
  names: readonly string[],
  /** names a caller asks for next, looked up in the same search (not decoded now) */
  alsoLookUp: readonly string[] = [],
): ElfSymbol[] {
  const tab = elf.sections.find((s) => s.type === type);
  const strs = tab && elf.sections[tab.link];
  if (!strs) return [];
  let starts = nameStarts.get(elf);
  if (!starts) nameStarts.set(elf, starts = new Map());
  const key = (n: string) => `${type}\0${n}`;
  const missing = [...new Set([...names, ...alsoLookUp])].filter((n) => !starts!.has(key(n)));
  if (missing.length) {
    const at = needlePositions(
      elf.sectionData(strs),
      anchoredNeedles(missing.map((n) => `${n}\0`), "\0"),
    );
    missing.forEach((n, i) => starts!.set(key(n), at[i]));
  }
  const offsets = new Set(names.flatMap((n) => starts!.get(key(n))!));
  return elf.symbolsNamedAt(type, offsets);
}

const TLS_NAMES = [...SYMBOL_NAMES];

/** Hooks by name from `.dynsym`, then `.symtab`. */
export function locateSymbols(elf: ElfFile): MethodOutcome {
  // only the symbols with the names are decoded: the others have nothing to say here
  const dyn = symbolsNamed(elf, SHT_DYNSYM, TLS_NAMES);
  const tables = [[".dynsym", () => dyn], [
    ".symtab",
    () => symbolsNamed(elf, SHT_SYMTAB, TLS_NAMES),
  ]] as const;
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

/**
 * Whether `.dynsym` or `.symtab` names any hooked function (cheap: symbolsNamed); the names
 * `alsoLookUp` are looked up in the same search of `.symtab`'s names, for a caller that asks
 * for them next (a big unstripped file's string table is megabytes).
 */
export function namesTlsFunctions(elf: ElfFile, alsoLookUp: readonly string[] = []): boolean {
  return symbolsNamed(elf, SHT_DYNSYM, TLS_NAMES).length > 0 ||
    symbolsNamed(elf, SHT_SYMTAB, TLS_NAMES, alsoLookUp).length > 0;
}
