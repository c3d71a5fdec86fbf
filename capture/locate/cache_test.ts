import assert from "node:assert/strict";
import { locate } from "./mod.ts";
import { ElfFile } from "../elf.ts";

const SOURCE = new URL("../../tests/fixtures/tls/static_client.c", import.meta.url).pathname;

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
