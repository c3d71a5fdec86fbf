/**
 * Builds the test HTTPS client with OpenSSL linked in statically (tests/fixtures/tls/
 * static_client.c, against libssl.a/libcrypto.a from libssl-dev), with its symbol table and
 * stripped: the two shapes a static OpenSSL comes in. And the same client as a shared library
 * a program loads with dlopen (tests/fixtures/tls/dlopen_client.c), as Node loads an addon:
 * with OpenSSL linked in, hidden and stripped, or importing it from libssl.so.
 */

const SOURCE = new URL("../fixtures/tls/static_client.c", import.meta.url).pathname;
const LOADER = new URL("../fixtures/tls/dlopen_client.c", import.meta.url).pathname;

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
