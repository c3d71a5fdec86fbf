/**
 * What to hook in a file, declared as data: for each TLS library Sightline understands, the
 * functions whose plaintext it captures and the eBPF programs (by name, in
 * bpf/sightline.bpf.c) that run at their entry and return. `inspectFile` decides which of
 * them a given ELF file offers and at which file offsets.
 */
import { ElfFile, NotElfError, SHT_DYNSYM } from "./elf.ts";
import { anchoredNeedles, findNeedles } from "./locate/anchored.ts";
import { MARKERS } from "./locate/markers.ts";
import {
  LIBCRYPTO_AEAD_NAMES as LIBCRYPTO_EXPORTS,
  locateSymbols,
  SYMBOL_NAMES as TLS_FUNCTION_NAMES,
  symbolsNamed,
} from "./locate/symbols.ts";

export interface ProbeSpec {
  /** program at the function's entry (uprobe) */
  entry?: string;
  /** program at its return (uretprobe) */
  ret?: string;
  /** program attached as a uprobe at each RET instruction (where uretprobes are unsafe) */
  atRet?: string;
  /** the hook only marks a connection's end: it carries no data to verify */
  endsConnection?: boolean;
}

/**
 * Every function Sightline hooks, by name, with its programs:
 * - OpenSSL 1.1/3.x and BoringSSL's public API: buffers in, byte counts out;
 * - GnuTLS's record API: the same shape;
 * - aws-lc's AEAD and ring's (rustls's record layer): one TLS record per call, per direction
 *   context;
 * - Go's crypto/tls: register ABI, no uretprobes.
 */
export const PROBES: Readonly<Record<string, ProbeSpec>> = {
  SSL_write: { entry: "sl_ssl_write_entry", ret: "sl_ssl_write_ret" },
  SSL_read: { entry: "sl_ssl_read_entry", ret: "sl_ssl_read_ret" },
  SSL_write_ex: { entry: "sl_ssl_write_ex_entry", ret: "sl_ssl_write_ex_ret" },
  SSL_read_ex: { entry: "sl_ssl_read_ex_entry", ret: "sl_ssl_read_ex_ret" },
  SSL_free: { entry: "sl_ssl_free_entry", endsConnection: true },
  // OpenSSL 3's internals under SSL_write(_ex) and SSL_read(_ex), in stripped static builds
  ssl_write_internal: { entry: "sl_ssl_write_ex_entry", ret: "sl_ssl_write_ex_ret" },
  ssl_read_internal: { entry: "sl_ssl_read_ex_entry", ret: "sl_ssl_read_ex_ret" },
  gnutls_record_send: { entry: "sl_gnutls_send_entry", ret: "sl_gnutls_send_ret" },
  gnutls_record_recv: { entry: "sl_gnutls_recv_entry", ret: "sl_gnutls_recv_ret" },
  // ends the session's connection, like SSL_free
  gnutls_deinit: { entry: "sl_ssl_free_entry", endsConnection: true },
  EVP_AEAD_CTX_seal: { entry: "sl_aead_seal_entry" },
  EVP_AEAD_CTX_open: { entry: "sl_aead_open_entry", ret: "sl_aead_open_ret" },
  ring_aes_gcm_seal: { entry: "sl_ring_seal_entry" },
  ring_aes_gcm_open: { entry: "sl_ring_open_entry", ret: "sl_ring_open_ret" },
  ring_chacha20_poly1305_seal: { entry: "sl_ring_seal_entry" },
  ring_chacha20_poly1305_open: { entry: "sl_ring_open_entry", ret: "sl_ring_open_ret" },
  "crypto/tls.(*Conn).Write": { entry: "sl_go_write_entry" },
  "crypto/tls.(*Conn).Read": { entry: "sl_go_read_entry", atRet: "sl_go_read_ret" },
};

/** Functions whose conn_id is a per-direction context that user space pairs into one. */
export const PER_DIRECTION_CONTEXT = new Set([
  "EVP_AEAD_CTX_seal",
  "EVP_AEAD_CTX_open",
  "ring_aes_gcm_seal",
  "ring_aes_gcm_open",
  "ring_chacha20_poly1305_seal",
  "ring_chacha20_poly1305_open",
]);

/** TLS libraries recognised by their file name but not (yet) hooked, with the reason. */
const UNSUPPORTED: readonly [RegExp, string][] = [
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
  /** the argument holding the per-direction context, for programs that search (ring) */
  ctxArg?: number;
  /** the argument holding the byte-count pointer, when not the usual one */
  lenArg?: number;
  /** the locator's other candidates for this function, best first: tried in turn when this
   * one proves wrong at run time */
  alternates?: Hook[];
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

/**
 * Why a shared library without exported TLS functions has nothing to locate, or undefined when
 * it may hold a TLS stack of its own: one that imports the TLS API by name is a client of the
 * libssl or GnuTLS the loader maps beside it (libcurl, Python's `_ssl`), hooked by that
 * library's symbols; one that exports the AEAD API is the libcrypto of such a libssl, whose
 * records the libssl's hooks already give (hooking both would record each twice).
 */
function tlsClientLibrary(elf: ElfFile, imports: Set<string>): string | undefined {
  const imported = [...imports].find((n) => TLS_FUNCTION_NAMES.has(n));
  if (imported) return `imports ${imported}: the library it comes from is hooked`;
  const crypto = symbolsNamed(elf, SHT_DYNSYM, [...LIBCRYPTO_EXPORTS]).find((s) => s.shndx !== 0);
  if (crypto) return `exports ${crypto.name}: a libcrypto, its libssl is hooked`;
  return undefined;
}

/** Sections only Go's toolchain writes: a Go c-shared library makes its system calls itself
 * (no libc import), so these stand for the imports below. */
const GO_SECTIONS = new Set([".go.buildinfo", ".gopclntab", ".note.go.buildid"]);

/** libc functions that turn the server a client is told of, a host name or an address as text,
 * into the address it connects to. */
const SERVER_LOOKUP = new Set([
  "getaddrinfo",
  "getaddrinfo_a",
  "gethostbyname",
  "gethostbyname_r",
  "gethostbyname2",
  "gethostbyname2_r",
  "res_query",
  "res_nquery",
  "res_search",
  "res_nsearch",
  // glibc before 2.34 names the resolver's functions so in its header (manylinux wheels)
  "__res_query",
  "__res_nquery",
  "__res_search",
  "__res_nsearch",
  "inet_pton",
  "inet_aton",
  "inet_addr",
  // a lookup a library takes from another it links: c-ares, libuv (node's addons)
  "ares_getaddrinfo",
  "ares_gethostbyname",
  "uv_getaddrinfo",
]);

/** What opens a connection: libc's connect, or libuv's (a node addon that uses the event loop
 * it is given connects through libuv, which imports connect itself). */
const CONNECTS = ["connect", "uv_tcp_connect"];

/**
 * Why a shared library that exports no TLS function can carry no TLS of its own to a server,
 * or undefined when it can. A library that embeds a TLS stack and sends its records itself
 * (GitHub Copilot CLI's runtime.node: OpenSSL + aws-lc in a Rust addon; grpc's cygrpc:
 * BoringSSL; a Python with its OpenSSL hidden inside) opens its own connections to a server it
 * is told of: it imports libc's `connect` and a lookup of the server (getaddrinfo, as Rust's
 * std::net and hyper do, or an address parsed from text); or it is a Go library, whose runtime
 * calls the kernel directly. Every other library (libicudata, libLLVM, whose sockets are local
 * ones, a JVM, a GPU driver, numpy's and torch's maths) is decided here by the symbol table
 * already read, never by a scan of its bytes while its process waits at the gate. Not caught:
 * a library with a DNS resolver of its own that parses no address with libc (none seen); one
 * whose connections are made through io_uring; one whose TLS runs over a socket its host
 * program connected (SSL_set_fd on a Python or node socket) unless it imports a lookup. A
 * library without section headers cannot be told apart: it is scanned.
 */
function cannotConnect(elf: ElfFile, imports: Set<string>): string | undefined {
  if (!elf.sections.length) return undefined;
  if (elf.sections.some((s) => GO_SECTIONS.has(s.name))) return undefined;
  if (!CONNECTS.some((n) => imports.has(n))) {
    return "no TLS functions and no connect import: it opens no connection of its own";
  }
  if (![...SERVER_LOOKUP].some((n) => imports.has(n))) {
    return "no TLS functions and no lookup of a server (getaddrinfo, inet_pton, ...) beside " +
      "its connect import: it connects to no server of its own";
  }
  return undefined;
}

/** Source paths of a TLS stack that has no names to hook (rustls's crypto): ring's panic
 * locations, aws-lc's aead.c (the quick scan's markers of those hints). */
const UNNAMED_STACK = anchoredNeedles(
  MARKERS.filter(([hint]) => hint === "ring" || hint === "aead.c").map(([, m]) => m),
  "/",
);

/**
 * Whether a file whose `.symtab` names its libssl holds a second TLS stack without names
 * beside it (an unstripped Rust program with OpenSSL linked in and rustls over ring or aws-lc:
 * sandbox-agent 0.4.2): its constant strings (`.rodata*`) are searched for the stack's source
 * paths.
 */
function unnamedStackBeside(elf: ElfFile): boolean {
  const found = UNNAMED_STACK.needles.map(() => false);
  for (const s of elf.sections) {
    if (!s.name.startsWith(".rodata")) continue;
    findNeedles(elf.sectionData(s), UNNAMED_STACK, found, found.map(() => 0));
    if (found[0]) return true;
  }
  return false;
}

/**
 * Looks at a file's symbols: a library or executable that names SSL_write/SSL_read or
 * gnutls_record_send/recv in `.dynsym` (or, unstripped, `.symtab`) is hooked by name, except one
 * whose `.symtab` names them beside a TLS stack without names (`unnamedStackBeside`). Any other
 * executable, and any other shared library that connects to servers itself (`cannotConnect`) but
 * a TLS library's client or libcrypto (`tlsClientLibrary`), is "unlocated": the static-binary
 * locator looks for a TLS stack inside. The rest are "none" at one symbol-table read.
 */
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
    const found = locateSymbols(elf);
    if (found.hooks.length && found.method !== "dynamic symbols" && unnamedStackBeside(elf)) {
      // the locator hooks the names and the stack beside them (capture/locate/analyse.ts)
      return { path, status: "unlocated", hooks: [], buildId: elf.buildId() };
    }
    if (found.hooks.length) {
      const hooks: Hook[] = found.hooks.map((h) => ({
        fn: h.fn,
        offset: h.fileOffset,
        vaddr: h.vaddr,
        ...PROBES[h.fn],
        method: found.method === "dynamic symbols" ? "dynamic symbol" : ".symtab symbol",
      }));
      let library: string = found.library ?? "?";
      if (
        library === "openssl" && !symbolsNamed(elf, SHT_DYNSYM, ["OPENSSL_init_ssl"]).length
      ) {
        library = "openssl-compatible";
      }
      return {
        path,
        status: "hooked",
        library,
        method: found.method,
        hooks,
        buildId: elf.buildId(),
      };
    }
    if (!elf.isExecutable()) {
      const imports = new Set(elf.dynamicImports());
      const why = tlsClientLibrary(elf, imports) ?? cannotConnect(elf, imports);
      if (why) return { path, status: "none", hooks: [], reason: why };
    }
    // an executable, or a shared library that connects by itself and may carry a TLS stack of
    // its own linked in and hidden (GitHub Copilot CLI's runtime.node, loaded by dlopen): the
    // static-binary locator decides
    return { path, status: "unlocated", hooks: [], buildId: elf.buildId() };
  } finally {
    elf.close();
  }
}
