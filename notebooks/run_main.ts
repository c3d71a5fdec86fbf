/**
 * `deno task notebooks [--out DIR] [NAME...]`: executes notebooks headless with the Deno kernel
 * (all that have their input when no NAME is given) and writes the executed copies to DIR
 * (default: a new temporary directory), one line per notebook. Exit code: 0 every notebook
 * ran, 1 one failed or Jupyter is missing, 2 bad usage.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { outDirOption, parseCommand, runCommand, usageError } from "../kit/cli.ts";
import { type CaseStudy, hasCaseInput } from "./case_input.ts";
import { ensureDenoKernel, executeNotebook, jupyterMissing } from "./jupyter.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const USAGE = "usage: deno task notebooks [--out DIR] [NAME...]";

const STUDY_OF: Record<string, CaseStudy> = {
  "case_injection.ipynb": "injection",
  "case_reasoning_loop.ipynb": "loop",
  "case_multi_agent.ipynb": "team",
};

export async function run(opts: { out?: string; names: string[] }): Promise<number> {
  const missing = jupyterMissing();
  if (missing) {
    console.error(`notebooks: ${missing}`);
    return 1;
  }
  const all = readdirSync(HERE).filter((f) => f.endsWith(".ipynb")).sort();
  const names = opts.names.length
    ? opts.names.map((n) => n.endsWith(".ipynb") ? n : `${n}.ipynb`)
    : all.filter((n) => !STUDY_OF[n] || hasCaseInput(STUDY_OF[n]));
  for (const n of names) {
    if (!all.includes(n)) throw usageError(`no notebook ${n} (${all.join(", ")})`);
  }
  const out = resolve(opts.out ?? mkdtempSync(join(tmpdir(), "sightline-notebooks-")));
  if (!existsSync(out)) mkdirSync(out, { recursive: true });
  await ensureDenoKernel();
  let failed = 0;
  for (const n of names) {
    const t0 = performance.now();
    const r = await executeNotebook(join(HERE, n), out);
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    if (r.errors.length || r.code !== 0) {
      failed++;
      const e = r.errors[0];
      console.log(`${n}: failed (${s} s): ${e ? `${e.ename}: ${e.evalue}` : r.stderr.trim()}`);
    } else console.log(`${n}: ok (${s} s) -> ${r.path}`);
  }
  return failed ? 1 : 0;
}

if (import.meta.main) {
  await runCommand("notebooks", USAGE, async (args) => {
    const { values, positionals } = parseCommand(args, { out: { type: "string", short: "o" } });
    return await run({ out: outDirOption(values.out), names: positionals });
  });
}
