/**
 * A module imported when it is needed, by a specifier Deno does not read at start-up. Deno
 * reads a program's whole module graph before its first line runs, and that graph follows
 * every `import("./x.ts")` with a literal specifier, with all that x.ts imports: each such
 * module is read, hashed and looked up in Deno's caches at every start, whether the run needs
 * it or not (an npm package there has Deno resolve its npm packages and check node_modules
 * too). A URL built at run time is not followed: the module and its graph are read when
 * later() is called. Name the module's type as `typeof import("./x.ts")` (a type-only
 * dependency, read by the type checker and `deno info`, never at run time), e.g.
 * `later<typeof import("./x.ts")>(new URL("./x.ts", import.meta.url))`; nothing but
 * capture/start_graph_test.ts checks the two names agree. A module that cannot be loaded (not
 * there, or it does not parse) is a CliError: one line, exit 1; one that imports a package by a
 * name no import map resolves (iced-x86: deno.json's) says that it needs Sightline's deno.json,
 * which `deno run --no-config` leaves out. Imports only modules with no imports (it is in the
 * capture's start-up graph).
 */
import { CliError } from "./cli_error.ts";
import { filePath } from "./file_path.ts";

export async function later<M>(url: URL): Promise<M> {
  try {
    return await import(url.href);
  } catch (e) {
    const path = url.protocol === "file:" ? filePath(url) : url.href;
    const msg = (e instanceof Error ? e.message : String(e)).split("\n")[0].trim();
    const bare = msg.match(
      /^(?:Import|Relative import path) "([^"]+)" not (?:a dependency|prefixed)/,
    );
    if (bare) {
      throw new CliError(
        `cannot load ${path}: its import "${bare[1]}" is resolved by Sightline's deno.json ` +
          "(a capture of its own needs it; drop --no-config)",
        1,
      );
    }
    throw new CliError(`cannot load ${path}: ${msg} (is the checkout whole?)`, 1);
  }
}
