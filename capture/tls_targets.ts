/**
 * What to hook in a file, declared as data: for each TLS library Sightline understands, the
 * functions whose plaintext it captures and the eBPF programs (by name, in
 * bpf/sightline.bpf.c) that run at their entry and return. `inspectFile` decides which of
 * them a given ELF file offers and at which file offsets.
 */
import { ElfFile, NotElfError, STT_FUNC, STT_GNU_IFUNC } from "./elf.ts";

export interface ProbeSpec {
  /** the library function */
  fn: string;
  /** program at its entry (uprobe) */
  entry?: string;
  /** program at its return (uretprobe) */
  ret?: string;
}

/** OpenSSL 1.1/3.x and BoringSSL's public API: buffers in, byte counts out. */
export const OPENSSL_PROBES: readonly ProbeSpec[] = [
  { fn: "SSL_write", entry: "sl_ssl_write_entry", ret: "sl_ssl_write_ret" },
  { fn: "SSL_read", entry: "sl_ssl_read_entry", ret: "sl_ssl_read_ret" },
  { fn: "SSL_write_ex", entry: "sl_ssl_write_ex_entry", ret: "sl_ssl_write_ex_ret" },
  { fn: "SSL_read_ex", entry: "sl_ssl_read_ex_entry", ret: "sl_ssl_read_ex_ret" },
  { fn: "SSL_free", entry: "sl_ssl_free_entry" },
];

/** TLS libraries recognised by their file name but not (yet) hooked, with the reason. */
const UNSUPPORTED: readonly [RegExp, string][] = [
  [/libgnutls\.so/, "GnuTLS is not hooked (gnutls_record_send/recv have no probes yet)"],
  [/libnss3\.so|libssl3\.so/, "NSS is not hooked (PR_Write/PR_Read have no probes yet)"],
  [/libwolfssl\.so/, "wolfSSL is not hooked"],
  [/libmbedtls\.so/, "mbed TLS is not hooked"],
];

export interface Hook {
  fn: string;
  /** file offset a uprobe attaches at */
  offset: number;
  vaddr: number;
  entry?: string;
  ret?: string;
  /** how the offset was found, e.g. "dynamic symbol" */
  method: string;
}

export interface Inspection {
  path: string;
  /** hooked: has hooks; none: no TLS library; unsupported: a TLS library we cannot hook;
   * unlocated: needs the static-binary locator (no exported TLS symbols); error: unreadable */
  status: "hooked" | "none" | "unsupported" | "unlocated" | "error";
  library?: string;
  method?: string;
  hooks: Hook[];
  reason?: string;
  buildId?: string;
}

/** Looks at a file's exports: a dynamic library or executable exporting SSL_write/SSL_read. */
export function inspectFile(path: string): Inspection {
  const unsupported = UNSUPPORTED.find(([re]) => re.test(path));
  if (unsupported) {
    return { path, status: "unsupported", hooks: [], reason: unsupported[1] };
  }
  let elf: ElfFile;
  try {
    elf = ElfFile.open(path);
  } catch (e) {
    if (e instanceof NotElfError) return { path, status: "none", hooks: [], reason: e.message };
    return { path, status: "error", hooks: [], reason: (e as Error).message };
  }
  try {
    const exported = new Map<string, number>();
    for (const s of elf.dynamicSymbols()) {
      if (s.shndx !== 0 && (s.type === STT_FUNC || s.type === STT_GNU_IFUNC) && s.value) {
        exported.set(s.name, s.value);
      }
    }
    if (exported.has("SSL_write") && exported.has("SSL_read")) {
      const hooks: Hook[] = [];
      for (const p of OPENSSL_PROBES) {
        const vaddr = exported.get(p.fn);
        if (vaddr === undefined) continue;
        const offset = elf.vaddrToOffset(vaddr);
        if (offset === undefined) continue;
        hooks.push({
          fn: p.fn,
          offset,
          vaddr,
          entry: p.entry,
          ret: p.ret,
          method: "dynamic symbol",
        });
      }
      return {
        path,
        status: "hooked",
        library: exported.has("OPENSSL_init_ssl") ? "openssl" : "openssl-compatible",
        method: "dynamic symbols",
        hooks,
        buildId: elf.buildId(),
      };
    }
    if (elf.type === 3 /* ET_DYN */ && elf.interpreter() === undefined) {
      // a shared library without SSL exports: nothing to hook, nothing to locate
      return { path, status: "none", hooks: [] };
    }
    return { path, status: "unlocated", hooks: [], buildId: elf.buildId() };
  } finally {
    elf.close();
  }
}
