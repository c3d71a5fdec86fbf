/**
 * eBPF tests need root. They run for real in CI (as root); on a developer's machine without
 * root they are skipped, with the reason printed — but never when CI is set, where a
 * missing privilege must fail loudly instead of passing quietly.
 */

export const isRoot = Deno.uid() === 0;
const inCi = !!Deno.env.get("CI");

/** `ignore` value for Deno.test options of eBPF tests. */
export function skipWithoutRoot(): boolean {
  if (isRoot || inCi) return false;
  console.error("skipping eBPF test: not root and CI is unset (run as root to include it)");
  return true;
}

/**
 * Ids of the loaded Sightline eBPF programs (named `sl_*`; of `only` when given) and how many
 * links attach them, as bpftool lists them.
 */
export async function probes(only?: number[]): Promise<{ progs: number[]; links: number }> {
  const json = async (what: string) => {
    const out = await new Deno.Command("bpftool", { args: ["-j", what, "show"], stdout: "piped" })
      .output();
    return JSON.parse(new TextDecoder().decode(out.stdout) || "[]") as Record<string, unknown>[];
  };
  const progs = (await json("prog")).filter((p) => String(p.name ?? "").startsWith("sl_"))
    .map((p) => Number(p.id)).filter((id) => !only || only.includes(id));
  const ids = new Set(progs);
  const links = (await json("link")).filter((l) => ids.has(Number(l.prog_id))).length;
  return { progs, links };
}
