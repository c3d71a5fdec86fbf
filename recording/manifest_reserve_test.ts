/** The room kept for the last manifest: made, grown, written over in place, and said when missing. */
import assert from "node:assert/strict";
import { type Manifest, MANIFEST_FILE, readManifest } from "./manifest.ts";
import {
  dropManifestRoom,
  keepManifestRoom,
  RESERVE_BYTES,
  RESERVE_FILE,
  writeManifestInReserve,
} from "./manifest_reserve.ts";

Deno.test("manifest reserve: zeros kept, grown with the manifest, then the manifest in their place", () => {
  const dir = Deno.makeTempDirSync();
  assert.ok(keepManifestRoom(dir, 1000));
  const st = Deno.statSync(`${dir}/${RESERVE_FILE}`);
  assert.equal(st.size, RESERVE_BYTES);
  assert.equal(st.mode! & 0o777, 0o600);
  assert.ok(st.blocks! * 512 >= RESERVE_BYTES, "real blocks, not a hole");
  assert.ok(keepManifestRoom(dir, RESERVE_BYTES));
  assert.equal(Deno.statSync(`${dir}/${RESERVE_FILE}`).size, 2 * RESERVE_BYTES);
  const m = { complete: false, errors: ["the disk"], warnings: [] } as unknown as Manifest;
  const text = writeManifestInReserve(dir, m);
  assert.deepEqual(readManifest(dir), m);
  assert.equal(
    Deno.statSync(`${dir}/${MANIFEST_FILE}`).size,
    new TextEncoder().encode(text).length,
  );
  assert.throws(() => Deno.statSync(`${dir}/${RESERVE_FILE}`), Deno.errors.NotFound);
  assert.throws(() => writeManifestInReserve(dir, m), /no room was kept for it/);
  dropManifestRoom(dir); // nothing to drop: no error
});

Deno.test("manifest reserve: a manifest larger than the room is refused, the reserve kept", () => {
  const dir = Deno.makeTempDirSync();
  keepManifestRoom(dir);
  const big = { warnings: ["x".repeat(RESERVE_BYTES)] } as unknown as Manifest;
  assert.throws(() => writeManifestInReserve(dir, big), /larger than the room kept for it/);
  assert.equal(Deno.statSync(`${dir}/${RESERVE_FILE}`).size, RESERVE_BYTES);
  dropManifestRoom(dir);
  assert.deepEqual([...Deno.readDirSync(dir)], []);
});
