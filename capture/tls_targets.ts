/**
 * What to hook in a file, declared as data: for each TLS library Sightline understands, the
 * functions whose plaintext it captures and the eBPF programs (by name, in
 * bpf/sightline.bpf.c) that run at their entry and return. `inspectFile` decides which of
 * them a given ELF file offers and at which file offsets.
 */
import { ElfFile, NotElfError, STT_FUNC, STT_GNU_IFUNC } from "./elf.ts";

export interface ProbeSpec {
  /** program at the function's entry (uprobe) */
  entry?: string;
  /** program at its return (uretprobe) */
  ret?: string;
  /** program attached as a uprobe at each RET instruction (where uretprobes are unsafe) */
  atRet?: string;
}

/**
 * Every function Sightline hooks, by name, with its programs:
 * - OpenSSL 1.1/3.x and BoringSSL's public API: buffers in, byte counts out;
 * - aws-lc's AEAD (rustls's record layer): one TLS record per call, per direction context;
 * - Go's crypto/tls: register ABI, no uretprobes.
 */
export const PROBES: Readonly<Record<string, ProbeSpec>> = {
  SSL_write: { entry: "sl_ssl_write_entry", ret: "sl_ssl_write_ret" },
  SSL_read: { entry: "sl_ssl_read_entry", ret: "sl_ssl_read_ret" },
  SSL_write_ex: { entry: "sl_ssl_write_ex_entry", ret: "sl_ssl_write_ex_ret" },
  SSL_read_ex: { entry: "sl_ssl_read_ex_entry", ret: "sl_ssl_read_ex_ret" },
  SSL_free: { entry: "sl_ssl_free_entry" },
  EVP_AEAD_CTX_seal: { entry: "sl_aead_seal_entry" },
  EVP_AEAD_CTX_open: { entry: "sl_aead_open_entry", ret: "sl_aead_open_ret" },
  "crypto/tls.(*Conn).Write": { entry: "sl_go_write_entry" },
  "crypto/tls.(*Conn).Read": { entry: "sl_go_read_entry", atRet: "sl_go_read_ret" },
};

/** Functions whose conn_id is a per-direction context that user space pairs into one. */
export const PER_DIRECTION_CONTEXT = new Set(["EVP_AEAD_CTX_seal", "EVP_AEAD_CTX_open"]);

const OPENSSL_EXPORTS = ["SSL_write", "SSL_read", "SSL_write_ex", "SSL_read_ex", "SSL_free"];

/** TLS libraries recognised by their file name but not (yet) hooked, with the reason. */
const UNSUPPORTED: readonly [RegExp, string][] = [
  [/libgnutls\.so/, "GnuTLS is not hooked (gnutls_record_send/recv have no probes yet)"],
  [/libnss3\.so|libssl3\.so/, "NSS is not hooked (PR_Write/PR_Read have no probes yet)"],
  [/libwolfssl\.so/, "wolfSSL is not hooked"],
  [/libmbedtls\.so/, "mbed TLS is not hooked"],
];

export interface Hook extends ProbeSpec {
  fn: string;
  /** file offset a uprobe attaches at */
  offset: number;
  vaddr: number;
  /** file offsets of the function's RET instructions (for `atRet`) */
  retOffsets?: number[];
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
  /** every method tried, with its outcome (static-binary locator) */
  tried?: string[];
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
      for (const fn of OPENSSL_EXPORTS) {
        const vaddr = exported.get(fn);
        if (vaddr === undefined) continue;
        const offset = elf.vaddrToOffset(vaddr);
        if (offset === undefined) continue;
        hooks.push({ fn, offset, vaddr, ...PROBES[fn], method: "dynamic symbol" });
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
    if (!elf.isExecutable()) {
      // a shared library without SSL exports: nothing to hook, nothing to locate
      return { path, status: "none", hooks: [] };
    }
    return { path, status: "unlocated", hooks: [], buildId: elf.buildId() };
  } finally {
    elf.close();
  }
}
