import assert from "node:assert/strict";
import { readCacheFile, writeCacheFile } from "./cache_trust.ts";

// What a root capture may believe of its caches, and where it may write them: the rules of
// cache_trust.ts as a user of the files sees them (a text read, a reason given, a file left).

const fresh = () => {
  const base = Deno.makeTempDirSync({ prefix: "sl-trust-" });
  const dir = `${base}/cache`;
  Deno.mkdirSync(dir, { mode: 0o700 });
  return { base, dir };
};

Deno.test("readCacheFile: a file of its own, 0600 in a 0700 directory, is read whole; none is a miss", () => {
  const { base, dir } = fresh();
  try {
    const text = JSON.stringify({ big: "x".repeat(200_000) }); // more than one read
    writeCacheFile(dir, `${dir}/a.json`, text);
    assert.deepEqual(readCacheFile(dir, `${dir}/a.json`), { text });
    assert.equal(Deno.statSync(`${dir}/a.json`).mode! & 0o777, 0o600);
    assert.equal(readCacheFile(dir, `${dir}/none.json`), undefined);
    writeCacheFile(dir, `${dir}/empty.json`, "");
    assert.deepEqual(readCacheFile(dir, `${dir}/empty.json`), { text: "" });
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["a.json", "empty.json"],
      "no temporary left",
    );
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});

Deno.test("readCacheFile: a link, a group-writable file, another user's file are not believed, each said", () => {
  const { base, dir } = fresh();
  try {
    Deno.writeTextFileSync(`${base}/real.json`, "{}", { mode: 0o600 });
    Deno.symlinkSync(`${base}/real.json`, `${dir}/link.json`);
    assert.match(distrust(dir, `${dir}/link.json`), /link\.json is a symbolic link$/);
    Deno.writeTextFileSync(`${dir}/g.json`, "{}");
    Deno.chmodSync(`${dir}/g.json`, 0o620);
    assert.match(distrust(dir, `${dir}/g.json`), /g\.json is writable by its group \(mode 0620\)/);
    if (Deno.uid() === 0) {
      Deno.writeTextFileSync(`${dir}/o.json`, "{}", { mode: 0o600 });
      Deno.chownSync(`${dir}/o.json`, 65534, 65534);
      assert.match(distrust(dir, `${dir}/o.json`), /o\.json is owned by uid 65534, not root$/);
      // its directory: every file in it is then another's to replace
      Deno.writeTextFileSync(`${dir}/ok.json`, "{}", { mode: 0o600 });
      Deno.chownSync(dir, 65534, 65534);
      assert.match(distrust(dir, `${dir}/ok.json`), /cache is owned by uid 65534, not root$/);
    }
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});

Deno.test("writeCacheFile: a link planted in the cache is replaced, never written through", () => {
  const { base, dir } = fresh();
  try {
    const victim = `${base}/victim`;
    Deno.writeTextFileSync(victim, "precious\n");
    Deno.symlinkSync(victim, `${dir}/a.json`);
    writeCacheFile(dir, `${dir}/a.json`, "{}\n");
    assert.equal(Deno.readTextFileSync(victim), "precious\n");
    assert.deepEqual(readCacheFile(dir, `${dir}/a.json`), { text: "{}\n" });
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});

Deno.test("writeCacheFile: nothing is written into a directory not believed (another's, or others may write)", () => {
  const { base, dir } = fresh();
  try {
    const victim = `${base}/victim`;
    Deno.writeTextFileSync(victim, "precious\n");
    Deno.chmodSync(dir, 0o777);
    Deno.symlinkSync(victim, `${dir}/a.json`);
    assert.throws(
      () => writeCacheFile(dir, `${dir}/a.json`, "{}\n"),
      /^Error: cache not written: .*cache is writable by its group \(mode 0777\)/,
    );
    assert.equal(Deno.readTextFileSync(victim), "precious\n");
    assert.equal(Deno.lstatSync(`${dir}/a.json`).isSymlink, true, "left as it was");
    if (Deno.uid() === 0) {
      Deno.chmodSync(dir, 0o700);
      Deno.chownSync(dir, 65534, 65534);
      assert.throws(() => writeCacheFile(dir, `${dir}/b.json`, "{}\n"), /owned by uid 65534/);
      assert.throws(() => Deno.lstatSync(`${dir}/b.json`), Deno.errors.NotFound);
    }
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});

function distrust(dir: string, file: string): string {
  const r = readCacheFile(dir, file);
  assert.ok(r && "distrusted" in r, `${file}: not believed, got ${JSON.stringify(r)}`);
  return r.distrusted;
}
