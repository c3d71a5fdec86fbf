/**
 * What a path is, as a yes or no: a file or a directory (links followed), false when there is
 * nothing there or it cannot be looked at. No node: imports, so the capture can use it.
 */

/** Whether `path` is a file (or a link to one). */
export function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Whether `path` is a directory (or a link to one). */
export function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
