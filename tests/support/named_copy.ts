/**
 * A copy of a real binary whose `.symtab` names functions, as an unstripped build of it would
 * (objcopy --add-symbol): for tests of a libssl named beside a TLS stack without names.
 */
import { ElfFile } from "../../capture/elf.ts";

/** Writes `dir`/named: `exe` with `names` (name -> vaddr inside `.text`) in its `.symtab`. */
export async function withNames(
  exe: string,
  names: Record<string, number>,
  dir: string,
): Promise<string> {
  const elf = ElfFile.open(exe);
  let textAddr: number;
  try {
    const text = elf.sections.find((s) => s.name === ".text");
    if (!text) throw new Error(`${exe}: no .text section`);
    textAddr = text.addr;
  } finally {
    elf.close();
  }
  const out = `${dir}/named`;
  const args = Object.entries(names).flatMap((
    [n, v],
  ) => ["--add-symbol", `${n}=.text:0x${(v - textAddr).toString(16)},global,function`]);
  const r = await new Deno.Command("objcopy", { args: [...args, exe, out], stderr: "piped" })
    .output();
  if (!r.success) throw new Error(`objcopy: ${new TextDecoder().decode(r.stderr).trim()}`);
  return out;
}
