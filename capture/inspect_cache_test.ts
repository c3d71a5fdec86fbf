/** The inspection cache answers while a file is unchanged and asks again once it changes. */
import assert from "node:assert/strict";
import {
  cachedInspection,
  inspectFileCached,
  NOTHING_TO_HOOK_MAX,
  NOTHING_TO_HOOK_OF,
  readNothingToHook,
  saveNothingToHook,
  stampOf,
  unchanged,
} from "./inspect_cache.ts";

Deno.test("inspectFileCached: same answer from the cache; a changed file is inspected again", async () => {
  const dir = await Deno.makeTempDir();
  const cache = `${dir}/cache`;
  const lib = `${dir}/libssl.so.3`;
  await Deno.copyFile("/usr/lib/x86_64-linux-gnu/libssl.so.3", lib);
  const first = inspectFileCached(lib, cache);
  assert.equal(first.status, "hooked");
  const files = [...Deno.readDirSync(cache)];
  assert.equal(files.length, 1);
  assert.equal(Deno.statSync(`${cache}/${files[0].name}`).mode! & 0o777, 0o600);
  assert.deepEqual(inspectFileCached(lib, cache), first);
  // the same path now holds another file: not the cached answer
  await Deno.copyFile("/bin/ls", lib);
  const second = inspectFileCached(lib, cache);
  assert.notEqual(second.status, "hooked");
});

Deno.test("nothing_to_hook.json: this capture's files first, no repeats, at most the limit; only unchanged files count", async () => {
  const dir = await Deno.makeTempDir();
  const cache = `${dir}/cache`;
  assert.deepEqual(readNothingToHook(cache), []);
  saveNothingToHook([], cache);
  assert.deepEqual(readNothingToHook(cache), [], "nothing found: nothing written");
  const tool = (name: string) => {
    Deno.copyFileSync("/bin/true", `${dir}/${name}`);
    return stampOf(`${dir}/${name}`)!;
  };
  const [a, b, c] = [tool("a"), tool("b"), tool("c")];
  saveNothingToHook([a, b], cache);
  saveNothingToHook([c, a], cache);
  assert.deepEqual(readNothingToHook(cache).map((s) => s.path), [c, a, b].map((s) => s.path));
  assert.equal(Deno.statSync(`${cache}/nothing_to_hook.json`).mode! & 0o777, 0o600);
  assert.deepEqual(unchanged(readNothingToHook(cache)), [c, a, b]);
  // a capture that found what the list holds, in its order: the file is left as it is
  const file = `${cache}/nothing_to_hook.json`;
  const before = Deno.statSync(file);
  assert.equal(saveNothingToHook([c, a, b], cache), undefined);
  assert.equal(Deno.statSync(file).ino, before.ino, "not written again");
  saveNothingToHook([a, c, b], cache);
  assert.notEqual(Deno.statSync(file).ino, before.ino, "another order is written");
  assert.deepEqual(readNothingToHook(cache).map((s) => s.path), [a, c, b].map((s) => s.path));
  saveNothingToHook([c, a, b], cache);
  // b rewritten in place (same inode), c removed: only a is still the file inspected
  Deno.writeFileSync(`${dir}/b`, Deno.readFileSync("/bin/ls"));
  assert.equal(stampOf(`${dir}/b`)!.ino, b.ino);
  Deno.removeSync(`${dir}/c`);
  assert.deepEqual(unchanged(readNothingToHook(cache)), [a]);
  const many = Array.from(
    { length: NOTHING_TO_HOOK_MAX + 5 },
    (_, i) => ({ ...a, path: `/x/${i}` }),
  );
  saveNothingToHook(many, cache);
  const kept = readNothingToHook(cache);
  assert.equal(kept.length, NOTHING_TO_HOOK_MAX);
  assert.equal(kept[0].path, "/x/0");
  // a list judged by other methods (an older Sightline's inspection or locator) is not read
  const stored = JSON.parse(await Deno.readTextFile(`${cache}/nothing_to_hook.json`));
  assert.equal(stored.judgedBy, NOTHING_TO_HOOK_OF);
  await Deno.writeTextFile(
    `${cache}/nothing_to_hook.json`,
    JSON.stringify({ ...stored, judgedBy: "inspect 2, locator 3" }),
  );
  assert.deepEqual(readNothingToHook(cache), [], "another version's list is no list");
  // a list another user owns or could write is not read (the traced agent could write one)
  await Deno.writeTextFile(`${cache}/nothing_to_hook.json`, JSON.stringify(stored));
  assert.equal(readNothingToHook(cache).length, NOTHING_TO_HOOK_MAX, "its own list");
  await Deno.chmod(`${cache}/nothing_to_hook.json`, 0o622);
  assert.deepEqual(readNothingToHook(cache), [], "a list others may write is no list");
  await Deno.chmod(`${cache}/nothing_to_hook.json`, 0o600);
  if (Deno.uid() === 0) {
    await Deno.chown(`${cache}/nothing_to_hook.json`, 65534, 65534);
    assert.deepEqual(readNothingToHook(cache), [], "another user's list is no list");
    await Deno.remove(`${cache}/nothing_to_hook.json`);
  }
  await Deno.writeTextFile(`${cache}/nothing_to_hook.json`, JSON.stringify(stored.files));
  assert.deepEqual(readNothingToHook(cache), [], "a list without its judge is no list");
  await Deno.writeTextFile(`${cache}/nothing_to_hook.json`, "{not json");
  assert.deepEqual(readNothingToHook(cache), [], "a damaged list is no list");
});

Deno.test("nothing_to_hook.json: the files a capture found gone or changed leave the list; others' stay", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cache = `${dir}/cache`;
    const tool = (name: string) => {
      Deno.copyFileSync("/bin/true", `${dir}/${name}`);
      return stampOf(`${dir}/${name}`)!;
    };
    const [a, b, c] = [tool("a"), tool("b"), tool("c")];
    saveNothingToHook([a, b, c], cache);
    const read = readNothingToHook(cache);
    Deno.removeSync(`${dir}/b`);
    Deno.writeFileSync(`${dir}/c`, Deno.readFileSync("/bin/ls"));
    const live = unchanged(read);
    const gone = read.filter((s) => !live.includes(s));
    assert.deepEqual(gone.map((s) => s.path), [b, c].map((s) => s.path));
    // another capture listed d meanwhile; this one found nothing new, only what is gone
    const d = tool("d");
    saveNothingToHook([d], cache);
    assert.equal(saveNothingToHook([], cache, gone), undefined);
    assert.deepEqual(readNothingToHook(cache).map((s) => s.path), [d, a].map((s) => s.path));
    // the same path stamped anew (c as it is now) is not the entry that went
    const c2 = stampOf(`${dir}/c`)!;
    saveNothingToHook([c2], cache, gone);
    assert.deepEqual(readNothingToHook(cache).map((s) => s.path), [c2, d, a].map((s) => s.path));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inspectFileCached: an entry others may write, or another user owns, is not trusted: inspected afresh, said", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cache = `${dir}/cache`;
    const lib = `${dir}/libssl.so.3`;
    await Deno.copyFile("/usr/lib/x86_64-linux-gnu/libssl.so.3", lib);
    const first = inspectFileCached(lib, cache);
    assert.equal(first.status, "hooked");
    assert.equal(first.tried, undefined);
    const entry = `${cache}/${[...Deno.readDirSync(cache)][0].name}`;
    // planted: an answer with its hooks elsewhere, writable by the entry's group
    const v = JSON.parse(Deno.readTextFileSync(entry));
    for (const h of v.hooks) h.offset += 0x10;
    Deno.writeTextFileSync(entry, JSON.stringify(v));
    Deno.chmodSync(entry, 0o660);
    assert.equal(cachedInspection(lib, cache), undefined, "the main thread is not served it");
    const again = inspectFileCached(lib, cache);
    assert.deepEqual(again.hooks, first.hooks, "inspected afresh: the file's own offsets");
    assert.equal(again.tried?.length, 1);
    assert.match(
      again.tried![0],
      /^cache: not trusted \(.* is writable by its group \(mode 0660\)\); inspected afresh$/,
    );
    // rewritten (0600, this user's): believed again, without the note
    assert.deepEqual(inspectFileCached(lib, cache), first);
    if (Deno.uid() === 0) {
      Deno.chownSync(entry, 65534, 65534);
      assert.match(inspectFileCached(lib, cache).tried![0], /is owned by uid 65534, not root/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
