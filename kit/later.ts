/**
 * A module imported when it is needed, by a specifier Deno does not read at start-up. Deno
 * reads a program's whole module graph before its first line runs, and that graph follows
 * every `import("./x.ts")` with a literal specifier, with all that x.ts imports: each such
 * module is read, hashed and looked up in Deno's caches at every start, whether the run needs
 * it or not (an npm package there has Deno resolve its npm packages and check node_modules
 * too). A URL built at run time is not followed: the module and its graph are read when
 * later() is called. Name the module's type as `typeof import("./x.ts")` (a type-only
 * dependency, read by the type checker and `deno info`, never at run time), e.g.
 * `later<typeof import("./x.ts")>(new URL("./x.ts", import.meta.url))`.
 */
export function later<M>(url: URL): Promise<M> {
  return import(url.href);
}
