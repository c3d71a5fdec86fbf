/**
 * A cache of `inspectFile` results by file identity (path, device, inode, size, mtime,
 * ctime), as small JSON files under .cache/inspect/ (0600). Reading the exports of a big
 * binary (node has 75,000 dynamic symbols) takes a second; a traced process waits at the
 * gate while it happens, so later captures read the answer instead.
 */
import { idHash } from "./id_hash.ts";
import { inspectFile, type Inspection } from "./tls_targets.ts";

/** Bump when inspectFile's results change meaning (2: the identity is stored and checked; 3:
 * symbols from .symtab too, GnuTLS, hooks that end connections). */
const INSPECT_VERSION = 3;

export const INSPECT_CACHE_DIR = decodeURIComponent(
  new URL("../.cache/inspect/", import.meta.url).pathname,
);

function identity(path: string): string | undefined {
  try {
    const s = Deno.statSync(path);
    return [INSPECT_VERSION, path, s.dev, s.ino, s.size, s.mtime?.getTime(), s.ctime?.getTime()]
      .join("\0");
  } catch {
    return undefined;
  }
}

/** inspectFile, answered from the cache while the file is unchanged. */
export function inspectFileCached(path: string, dir = INSPECT_CACHE_DIR): Inspection {
  const id = identity(path);
  const file = id ? `${dir.replace(/\/$/, "")}/${idHash(id)}.json` : undefined;
  if (file) {
    try {
      const { identity: was, ...v } = JSON.parse(Deno.readTextFileSync(file));
      if (was === id && v?.path === path) return v as Inspection;
    } catch { /* not cached */ }
  }
  const insp = inspectFile(path);
  if (file && insp.status !== "error") {
    try {
      Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const tmp = `${file}.${Deno.pid}.tmp`;
      Deno.writeTextFileSync(tmp, JSON.stringify({ ...insp, identity: id }) + "\n", {
        mode: 0o600,
      });
      Deno.renameSync(tmp, file);
    } catch { /* a cache that cannot be written is only slower */ }
  }
  return insp;
}
