/**
 * The plain case: an ELF that exports `SSL_write` / `SSL_read` in its dynamic symbol table
 * (libssl.so, or an executable like /usr/bin/node that links OpenSSL statically and exports it
 * for native addons). Exported names are the library's ABI, so they are exact by definition.
 * A file that only imports them gets a reason pointing at the library that defines them.
 */

import { type ElfFile, STT_FUNC, STT_GNU_IFUNC } from "../elf.ts";
import { hex } from "./boringssl.ts";
import type { HookFn, LocatedHook, MethodOutcome } from "./types.ts";

const NAMES: HookFn[] = ["SSL_write", "SSL_read"];

export function locateDynamicSymbols(elf: ElfFile): MethodOutcome {
  const method = "dynamic symbols";
  const syms = elf.dynamicSymbols().filter((s) => NAMES.includes(s.name as HookFn));
  const defined = syms.filter((s) =>
    s.shndx !== 0 && s.value && (s.type === STT_FUNC || s.type === STT_GNU_IFUNC)
  );
  const hooks: LocatedHook[] = [];
  for (const name of NAMES) {
    const s = defined.find((d) => d.name === name);
    const fileOffset = s && elf.vaddrToOffset(s.value);
    if (!s || fileOffset === undefined) continue;
    hooks.push({
      fn: name,
      vaddr: s.value,
      fileOffset,
      confidence: 0.99,
      evidence: `.dynsym exports ${name} at ${hex(s.value)} (size ${s.size})`,
    });
  }
  if (hooks.length === NAMES.length) {
    return {
      library: "openssl",
      method,
      hooks,
      note: `${method}: SSL_write and SSL_read exported`,
    };
  }
  if (syms.some((s) => s.shndx === 0)) {
    const libs = elf.needed().filter((n) => /ssl|crypto/i.test(n));
    return {
      method,
      hooks: [],
      note: `${method}: SSL_write/SSL_read are imported` +
        (libs.length ? ` from ${libs.join(", ")}: hook that library instead` : ""),
    };
  }
  return { method, hooks: [], note: `${method}: no SSL_write/SSL_read in .dynsym` };
}
