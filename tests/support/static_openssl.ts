/**
 * Builds the test HTTPS client with OpenSSL linked in statically (tests/fixtures/tls/
 * static_client.c, against libssl.a/libcrypto.a from libssl-dev), with its symbol table and
 * stripped: the two shapes a static OpenSSL comes in. The same client fully static, as a
 * static-PIE (glibc's libc.a too: no interpreter, no DT_NEEDED, as Codex's musl build), with
 * the DF_1_PIE flag its linker set and without it, as older linkers wrote it.
 * And the same client as a shared library a program loads with dlopen (tests/fixtures/tls/
 * dlopen_client.c), as Node loads an addon: with OpenSSL linked in, hidden and stripped, or
 * importing it from libssl.so.
 */
import { filePath } from "../../kit/file_path.ts";
import { ElfFile, PT_DYNAMIC } from "../../capture/elf.ts";

const SOURCE = filePath("../fixtures/tls/static_client.c", import.meta.url);
const LOADER = filePath("../fixtures/tls/dlopen_client.c", import.meta.url);

async function run(cmd: string, args: string[]) {
  const r = await new Deno.Command(cmd, { args, stderr: "piped" }).output();
  if (!r.success) throw new Error(`${cmd}: ${new TextDecoder().decode(r.stderr).trim()}`);
}

export interface StaticClients {
  dir: string;
  /** with .symtab */
  symbols: string;
  /** stripped */
  stripped: string;
}

export async function buildStaticClients(): Promise<StaticClients> {
  const dir = await Deno.makeTempDir({ prefix: "sl-static-openssl-" });
  const symbols = `${dir}/static_client`, stripped = `${dir}/static_client_stripped`;
  await run("gcc", [
    "-O2",
    "-o",
    symbols,
    SOURCE,
    "-Wl,-Bstatic",
    "-lssl",
    "-lcrypto",
    "-Wl,-Bdynamic",
    "-ldl",
    "-pthread",
  ]);
  await run("strip", ["-o", stripped, symbols]);
  return { dir, symbols, stripped };
}

export interface StaticPieClients {
  dir: string;
  /** `gcc -static-pie`, stripped: DF_1_PIE set */
  pie: string;
  /** a copy without DF_1_PIE (its DT_FLAGS_1 entry gone when the flag was its only bit) */
  noPieFlag: string;
}

export async function buildStaticPieClients(): Promise<StaticPieClients> {
  const dir = await Deno.makeTempDir({ prefix: "sl-static-pie-" });
  const pie = `${dir}/static_pie_client`, noPieFlag = `${dir}/static_pie_client_old_linker`;
  await run("gcc", ["-O2", "-static-pie", "-o", pie, SOURCE, "-lssl", "-lcrypto", "-pthread"]);
  await run("strip", [pie]);
  await Deno.writeFile(noPieFlag, withoutPieFlag(pie, await Deno.readFile(pie)));
  await Deno.chmod(noPieFlag, 0o755);
  return { dir, pie, noPieFlag };
}

const DT_FLAGS_1 = 0x6ffffffbn;
const DF_1_PIE = 0x08000000n;

/**
 * `bytes` of the ELF file at `path` as a linker that knows no DF_1_PIE writes it: the flag
 * cleared from DT_FLAGS_1, and the entry removed (the later ones moved up, a DT_NULL more at
 * the end) when the flag was all it held. Throws when the file has no DF_1_PIE.
 */
export function withoutPieFlag(path: string, bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const elf = ElfFile.open(path);
  const dyn = elf.segments.find((s) => s.type === PT_DYNAMIC);
  elf.close();
  if (!dyn) throw new Error(`${path}: no PT_DYNAMIC`);
  const dv = new DataView(out.buffer, dyn.offset, dyn.filesz);
  for (let o = 0; o + 16 <= dyn.filesz; o += 16) {
    const tag = dv.getBigInt64(o, true);
    if (tag === 0n) break;
    if (tag !== DT_FLAGS_1) continue;
    const flags = dv.getBigUint64(o + 8, true);
    if (!(flags & DF_1_PIE)) break;
    if (flags !== DF_1_PIE) {
      dv.setBigUint64(o + 8, flags & ~DF_1_PIE, true);
    } else {
      out.copyWithin(dyn.offset + o, dyn.offset + o + 16, dyn.offset + dyn.filesz);
      out.fill(0, dyn.offset + dyn.filesz - 16, dyn.offset + dyn.filesz);
    }
    return out;
  }
  throw new Error(`${path}: no DF_1_PIE in its dynamic section`);
}

export interface SharedClients {
  dir: string;
  /** `dlopen_client LIBRARY HOST PORT CAFILE PATH` */
  loader: string;
  /** OpenSSL linked in, its symbols hidden (--exclude-libs), stripped: exports only the client */
  statically: string;
  /** imports SSL_write_ex and the rest from libssl.so.3 */
  dynamically: string;
}

export async function buildSharedClients(): Promise<SharedClients> {
  const dir = await Deno.makeTempDir({ prefix: "sl-shared-openssl-" });
  const loader = `${dir}/dlopen_client`;
  const statically = `${dir}/libclient_static.so`, dynamically = `${dir}/libclient_dynamic.so`;
  const lib = ["-O2", "-shared", "-fPIC", "-Dmain=sl_client_main", SOURCE];
  await run("gcc", ["-O2", "-o", loader, LOADER, "-ldl"]);
  await run("gcc", [
    ...lib,
    "-o",
    statically,
    "-Wl,--exclude-libs,ALL",
    "-Wl,-Bstatic",
    "-lssl",
    "-lcrypto",
    "-Wl,-Bdynamic",
    "-pthread",
  ]);
  await run("strip", [statically]);
  await run("gcc", [...lib, "-o", dynamically, "-lssl", "-lcrypto"]);
  return { dir, loader, statically, dynamically };
}
