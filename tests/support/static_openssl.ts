/**
 * Builds the test HTTPS client with OpenSSL linked in statically (tests/fixtures/tls/
 * static_client.c, against libssl.a/libcrypto.a from libssl-dev), with its symbol table and
 * stripped: the two shapes a static OpenSSL comes in.
 */

const SOURCE = new URL("../fixtures/tls/static_client.c", import.meta.url).pathname;

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
  const run = async (cmd: string, args: string[]) => {
    const r = await new Deno.Command(cmd, { args, stderr: "piped" }).output();
    if (!r.success) throw new Error(`${cmd}: ${new TextDecoder().decode(r.stderr).trim()}`);
  };
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
