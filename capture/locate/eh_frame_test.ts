import assert from "node:assert/strict";
import { ElfFile } from "../elf.ts";
import { EhFrameIndex } from "./eh_frame.ts";

Deno.test("eh_frame: every FDE range agrees with readelf's", async () => {
  const path = "/bin/ls";
  const out = await new Deno.Command("readelf", { args: ["-wf", path] }).output();
  const fdes = [
    ...new TextDecoder().decode(out.stdout).matchAll(/ FDE .* pc=([0-9a-f]+)\.\.([0-9a-f]+)/g),
  ]
    .map((m) => [parseInt(m[1], 16), parseInt(m[2], 16)]);
  assert.ok(fdes.length > 50, "readelf lists FDEs");
  using elf = ElfFile.open(path);
  const eh = EhFrameIndex.load(elf)!;
  assert.equal(eh.count, fdes.length);
  for (const [start, end] of fdes) {
    assert.deepEqual(eh.lookup(start), { start, end });
    assert.deepEqual(eh.lookup(end - 1), { start, end });
  }
});
