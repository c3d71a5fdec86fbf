/**
 * Room kept on a recording's disk for its last manifest: a hidden file of zeros made when the
 * capture starts, so that a disk the recording (or the traced command) fills up still takes
 * the manifest that says how the capture ended and what it could not write. When the usual
 * write (a temp file and a rename, manifest.ts) finds no room, the manifest is written over the
 * reserve's own blocks, which needs no new ones (tmpfs, ext4; not a copy-on-write file
 * system), cut to its length and renamed to manifest.json. The reserve is gone once the
 * capture has ended; one killed with SIGKILL leaves it behind.
 */
import { type Manifest, MANIFEST_FILE } from "./manifest.ts";

export const RESERVE_FILE = ".manifest.reserve";
/** The reserve's least size; it grows to twice the manifest's (manifests: 6-16 KiB). */
export const RESERVE_BYTES = 64 << 10;

/**
 * Makes or grows the reserve of `dir` to hold a manifest of `manifestBytes` (twice that, at
 * least RESERVE_BYTES). Returns false when the disk had no room for it (what it got is kept).
 */
export function keepManifestRoom(dir: string, manifestBytes = 0): boolean {
  const want = Math.max(RESERVE_BYTES, 2 * manifestBytes);
  const path = `${dir}/${RESERVE_FILE}`;
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { write: true, create: true, mode: 0o600 });
  } catch {
    return false;
  }
  try {
    let have = Number(file.statSync().size);
    if (have >= want) return true;
    file.seekSync(have, Deno.SeekMode.Start);
    // zeros written, not a hole: their blocks are the disk's promise
    const zeros = new Uint8Array(Math.min(want - have, 64 << 10));
    while (have < want) {
      have += file.writeSync(zeros.subarray(0, Math.min(zeros.length, want - have)));
    }
    return true;
  } catch {
    return false;
  } finally {
    file.close();
  }
}

/**
 * Writes manifest.json of `dir` over the reserve (after the usual write failed for want of
 * room); the reserve is used up. Throws when there is none, or the manifest is larger.
 */
export function writeManifestInReserve(dir: string, m: Manifest): string {
  const text = JSON.stringify(m, null, 2) + "\n";
  const bytes = new TextEncoder().encode(text);
  const path = `${dir}/${RESERVE_FILE}`;
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { write: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new Error("no room was kept for it (the disk was full from the start)");
  }
  try {
    const size = Number(file.statSync().size);
    if (bytes.length > size) {
      throw new Error(`the manifest (${bytes.length} bytes) is larger than the room kept for it`);
    }
    let off = 0;
    while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
    file.truncateSync(bytes.length);
  } finally {
    file.close();
  }
  Deno.renameSync(path, `${dir}/${MANIFEST_FILE}`);
  return text;
}

/** Removes the reserve of `dir` (the capture has ended and its manifest is written). */
export function dropManifestRoom(dir: string): void {
  try {
    Deno.removeSync(`${dir}/${RESERVE_FILE}`);
  } catch { /* not there */ }
}
