import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { locate, locateCached } from "./mod.ts";
import { type LoadSegment, misfit } from "./cache.ts";
import { ElfFile } from "../elf.ts";
import type { LocatedHook } from "./types.ts";

const SOURCE = filePath("../../tests/fixtures/tls/static_client.c", import.meta.url);

async function gcc(args: string[]) {
  const r = await new Deno.Command("gcc", { args, stderr: "piped" }).output();
  assert.ok(r.success, new TextDecoder().decode(r.stderr));
}

// Two files of one build-id whose code lies elsewhere in the file, as `bun build --compile`
// makes them (one Bun runtime's build-id in every program made with it; opencode 1.17.0 was
// given the file offsets of another Bun 1.3.14 program and its TLS went unseen). Here: the
// static OpenSSL client linked twice with the same --build-id and segments aligned to 4 KiB and
// to 2 MiB (the code then lies elsewhere), stripped so the locator reads its error sites.
Deno.test("cache: two files of one build-id laid out differently each get their own file offsets", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-locate-layout-" });
  try {
    const id = "-Wl,--build-id=0x5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed";
    const link = ["-O2", SOURCE, "-Wl,-Bstatic", "-lssl", "-lcrypto", "-Wl,-Bdynamic", "-ldl"];
    await gcc([...link, "-pthread", id, "-Wl,-z,max-page-size=0x1000", "-s", "-o", `${dir}/a`]);
    await gcc([...link, "-pthread", id, "-Wl,-z,max-page-size=0x200000", "-s", "-o", `${dir}/b`]);
    for (const f of ["a", "b"]) {
      using elf = ElfFile.open(`${dir}/${f}`);
      assert.equal(elf.buildId(), "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed");
    }
    const cache = `${dir}/cache`;
    const a = await locate(`${dir}/a`, { cacheDir: cache });
    const b = await locate(`${dir}/b`, { cacheDir: cache });
    const bCold = await locate(`${dir}/b`, { noCache: true });
    assert.equal(a.ok && b.ok && bCold.ok, true, `${a.reason} ${b.reason} ${bCold.reason}`);
    // the layouts differ where the hooks are: a hit on a's answer would hook b in the wrong place
    assert.notDeepEqual(
      a.hooks.map((h) => h.fileOffset),
      bCold.hooks.map((h) => h.fileOffset),
    );
    assert.equal(b.cached, false, "b is not served a's answer");
    assert.deepEqual(
      b.hooks.map((h) => [h.fn, h.fileOffset]),
      bCold.hooks.map((h) => [h.fn, h.fileOffset]),
    );
    const again = await locate(`${dir}/b`, { cacheDir: cache });
    assert.equal(again.cached, true);
    assert.deepEqual(again.hooks, b.hooks);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A stripped static OpenSSL client in a fresh directory, with its cache directory. */
async function client(): Promise<{ dir: string; exe: string; cache: string }> {
  const dir = await Deno.makeTempDir({ prefix: "sl-locate-misfit-" });
  const exe = `${dir}/a`;
  await gcc([
    "-O2",
    SOURCE,
    "-Wl,-Bstatic",
    "-lssl",
    "-lcrypto",
    "-Wl,-Bdynamic",
    "-ldl",
    "-pthread",
    "-s",
    "-o",
    exe,
  ]);
  return { dir, exe, cache: `${dir}/cache` };
}

/** Rewrites the one cached entry of `cache` with `edit`. */
async function editEntry(cache: string, edit: (v: Record<string, unknown>) => void) {
  const files = [...Deno.readDirSync(cache)].filter((e) => !e.name.startsWith("stat-"));
  assert.equal(files.length, 1, files.map((f) => f.name).join(" "));
  const path = `${cache}/${files[0].name}`;
  const v = JSON.parse(await Deno.readTextFile(path));
  edit(v);
  await Deno.writeTextFile(path, JSON.stringify(v));
}

// However a wrong answer got into the cache (a key that names two layouts, a short hash's
// collision, a file edited by hand), this file's own program headers decide: an answer whose
// hook lies elsewhere in this file is located afresh, never put under a uprobe.
Deno.test("cache: an answer whose offsets this file's segments contradict is located afresh", async () => {
  const { dir, exe, cache } = await client();
  try {
    const first = await locate(exe, { cacheDir: cache });
    assert.equal(first.ok, true, first.reason);
    assert.equal(first.cached, false);
    // another file's answer: every hook 0x2000 further on (as kilocode-cli's was for opencode)
    await editEntry(cache, (v) => {
      for (const h of v.hooks as LocatedHook[]) h.fileOffset += 0x2000;
    });
    assert.equal(
      await locateCached(exe, cache),
      undefined,
      "the capture's main thread is not served it",
    );
    const again = await locate(exe, { cacheDir: cache });
    assert.equal(again.cached, false, "not served");
    assert.match(
      again.tried[0],
      /^cache: not served \(.*cached file offset 0x[0-9a-f]+, this file has it at 0x[0-9a-f]+\); located afresh$/,
    );
    assert.deepEqual(
      again.hooks.map((h) => [h.fn, h.fileOffset]),
      first.hooks.map((h) => [h.fn, h.fileOffset]),
    );
    // and the entry is right again
    const third = await locate(exe, { cacheDir: cache });
    assert.equal(third.cached, true);
    assert.deepEqual(third.hooks, first.hooks);
    assert.ok(!third.tried.some((t) => t.startsWith("cache:")), "the refusal is not stored");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// The key holds only a short hash of the layout; the entry holds the layout itself, compared on
// reading (capture/id_hash.ts: a collision is only a miss). Entries without it are misses too.
Deno.test("cache: an entry written for another layout under the same key is a miss", async () => {
  const { dir, exe, cache } = await client();
  try {
    const first = await locate(exe, { cacheDir: cache });
    assert.equal(first.ok, true, first.reason);
    assert.ok(first.buildId, "gcc wrote a build-id");
    assert.equal((await locateCached(exe, cache))?.cached, true);
    for (
      const edit of [
        (v: Record<string, unknown>) => v.loadLayout = "0:0:4096,4096:4096:8192",
        (v: Record<string, unknown>) => delete v.loadLayout,
      ]
    ) {
      await editEntry(cache, edit);
      assert.equal(await locateCached(exe, cache), undefined);
      const again = await locate(exe, { cacheDir: cache });
      assert.equal(again.cached, false);
      assert.deepEqual(again.hooks, first.hooks);
      assert.equal((await locate(exe, { cacheDir: cache })).cached, true);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("misfit: a hook must lie where this file's executable segments put its address", () => {
  const segments: LoadSegment[] = [
    { type: 1, flags: 4, offset: 0, vaddr: 0, filesz: 0x1000 }, // R
    { type: 1, flags: 5, offset: 0x2066400, vaddr: 0x2067400, filesz: 0x2000000 }, // R X
    { type: 1, flags: 6, offset: 0x4066400, vaddr: 0x4068400, filesz: 0x1000 }, // RW
  ];
  const hook = (vaddr: number, fileOffset: number, more: Partial<LocatedHook> = {}) => ({
    ok: true,
    method: "test",
    tried: [],
    cacheKey: "k",
    hooks: [{ fn: "SSL_write" as const, vaddr, fileOffset, confidence: 1, evidence: "", ...more }],
  });
  assert.equal(misfit(hook(0x3ae3780, 0x3ae2780), segments), undefined);
  assert.match(misfit(hook(0x3ae3780, 0x3ae4780), segments)!, /this file has it at 0x3ae2780/);
  assert.match(misfit(hook(0x4068500, 0x4066500), segments)!, /not executable/);
  assert.match(misfit(hook(0x9000000, 0x9000000), segments)!, /no loadable segment/);
  assert.match(
    misfit(hook(0x3ae3780, 0x3ae2780, { retOffsets: [0x10] }), segments)!,
    /RET at 0x10 lies outside/,
  );
  const alt = {
    fn: "SSL_write" as const,
    vaddr: 0x3000000,
    fileOffset: 0x3001000,
    confidence: 1,
    evidence: "",
  };
  assert.match(
    misfit(hook(0x3ae3780, 0x3ae2780, { alternates: [alt] }), segments)!,
    /\(an alternate\)$/,
  );
  assert.equal(misfit({ ...hook(0, 0), ok: false, hooks: [] }, segments), undefined);
});

// A root capture reads this cache to decide where uprobes go: an entry another user wrote (or
// could have: writable by others, or in a directory they may write) is not believed. The file
// is located afresh, and its answer (the attach report's `tried`) says why, in one line.
Deno.test("cache: an entry another user owns, or others may write, is not trusted: located afresh, said", async () => {
  const { dir, exe, cache } = await client();
  try {
    const first = await locate(exe, { cacheDir: cache });
    assert.equal(first.ok, true, first.reason);
    const entry = [...Deno.readDirSync(cache)].find((e) => !e.name.startsWith("stat-"))!.name;
    const untrusting = [
      {
        what: "the entry writable by its group",
        set: () => Deno.chmodSync(`${cache}/${entry}`, 0o620),
        undo: () => Deno.chmodSync(`${cache}/${entry}`, 0o600),
        said: /is writable by its group \(mode 0620\)/,
      },
      {
        what: "the directory writable by others",
        set: () => Deno.chmodSync(cache, 0o703),
        undo: () => Deno.chmodSync(cache, 0o700),
        said: /cache is writable by other users \(mode 0703\)/,
      },
      ...(Deno.uid() === 0
        ? [{
          what: "the entry owned by another user",
          set: () => Deno.chownSync(`${cache}/${entry}`, 65534, 65534),
          undo: () => Deno.chownSync(`${cache}/${entry}`, 0, 0),
          said: /is owned by uid 65534, not root/,
        }]
        : []),
    ];
    for (const u of untrusting) {
      u.set();
      assert.equal(await locateCached(exe, cache), undefined, `${u.what}: not served`);
      const again = await locate(exe, { cacheDir: cache });
      assert.equal(again.cached, false, `${u.what}: located afresh`);
      const said = again.tried.filter((t) => t.startsWith("cache: not trusted"));
      assert.equal(said.length, 1, `${u.what}: one line, ${again.tried.join(" | ")}`);
      assert.match(said[0], u.said);
      assert.match(said[0], /; located afresh$/);
      assert.deepEqual(
        again.hooks.map((h) => [h.fn, h.fileOffset]),
        first.hooks.map((h) => [h.fn, h.fileOffset]),
      );
      u.undo();
      // the entry it wrote (root's, 0600), in a directory of its own again: served
      const third = await locate(exe, { cacheDir: cache });
      assert.equal(third.cached, true, `${u.what}: trusted again once mended`);
      assert.ok(!third.tried.some((t) => t.startsWith("cache:")), "the distrust is not stored");
    }
    // a symbolic link in place of the entry is not followed
    const real = `${dir}/elsewhere.json`;
    Deno.renameSync(`${cache}/${entry}`, real);
    Deno.symlinkSync(real, `${cache}/${entry}`);
    const linked = await locate(exe, { cacheDir: cache });
    assert.equal(linked.cached, false);
    assert.match(linked.tried[0], /^cache: not trusted \(.* is a symbolic link\); located afresh$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
