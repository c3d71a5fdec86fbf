/**
 * Running the notebooks headless: makes sure Jupyter has the Deno kernel of this Deno (`deno
 * jupyter --install`, for the current user, redone only when the installed kernel names
 * another binary), then executes a notebook with `jupyter nbconvert --execute` (Debian's
 * Jupyter) into an output directory and reads back every cell's outputs and errors.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { basename, join } from "node:path";

export const KERNEL = "deno";

function which(cmd: string): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return null;
}

/** Why notebooks cannot run here, or null when they can. */
export function jupyterMissing(): string | null {
  return which("jupyter") && which("jupyter-nbconvert")
    ? null
    : "jupyter and jupyter-nbconvert are missing (scripts/setup.sh installs them)";
}

async function output(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

/** The installed Deno kernel's binary, or null when there is none. */
export async function installedKernel(): Promise<string | null> {
  const r = await output("jupyter", ["kernelspec", "list", "--json"]);
  if (r.code !== 0) return null;
  const dir = JSON.parse(r.stdout).kernelspecs?.[KERNEL]?.resource_dir;
  if (!dir) return null;
  try {
    return JSON.parse(readFileSync(join(dir, "kernel.json"), "utf8")).argv?.[0] ?? null;
  } catch {
    return null;
  }
}

/** Installs the Deno kernel for this Deno unless it is there already; returns its binary. */
export async function ensureDenoKernel(): Promise<string> {
  const deno = Deno.execPath();
  const have = await installedKernel();
  if (have && real(have) === real(deno)) return have;
  const r = await output(deno, ["jupyter", "--install", "--force"]);
  if (r.code !== 0) throw new Error(`deno jupyter --install failed: ${r.stderr.trim()}`);
  const now = await installedKernel();
  if (!now) throw new Error("deno jupyter --install left no kernel that jupyter lists");
  return now;
}

export interface CellError {
  cell: number;
  ename: string;
  evalue: string;
}

export interface Executed {
  /** nbconvert's exit code */
  code: number;
  /** the executed notebook's path */
  path: string;
  errors: CellError[];
  /** every output's text (text/plain, text/markdown, stream text), cell by cell */
  texts: string[][];
  /** outputs per MIME type */
  mimeCounts: Record<string, number>;
  stderr: string;
}

interface NbOutput {
  output_type: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
}

const joined = (v: string | string[] | undefined) => Array.isArray(v) ? v.join("") : v ?? "";

/** Executes a notebook into `outDir` with the Deno kernel; never throws on cell errors. */
export async function executeNotebook(
  notebook: string,
  outDir: string,
  opts: { env?: Record<string, string>; timeoutS?: number } = {},
): Promise<Executed> {
  const name = basename(notebook);
  const r = await output("jupyter", [
    "nbconvert",
    "--to",
    "notebook",
    "--execute",
    `--ExecutePreprocessor.kernel_name=${KERNEL}`,
    `--ExecutePreprocessor.timeout=${opts.timeoutS ?? 600}`,
    "--output-dir",
    outDir,
    "--output",
    name,
    notebook,
  ], { NO_COLOR: "1", PYDEVD_DISABLE_FILE_VALIDATION: "1", ...opts.env });
  const path = join(outDir, name);
  const errors: CellError[] = [];
  const texts: string[][] = [];
  const mimeCounts: Record<string, number> = {};
  if (existsSync(path)) {
    const nb = JSON.parse(readFileSync(path, "utf8")) as {
      cells: { cell_type: string; outputs?: NbOutput[] }[];
    };
    nb.cells.forEach((c, i) => {
      const t: string[] = [];
      for (const o of c.outputs ?? []) {
        if (o.output_type === "error") {
          errors.push({ cell: i, ename: o.ename ?? "", evalue: o.evalue ?? "" });
        }
        if (o.text) t.push(joined(o.text));
        for (const [mime, v] of Object.entries(o.data ?? {})) {
          mimeCounts[mime] = (mimeCounts[mime] ?? 0) + 1;
          if (mime === "text/plain" || mime === "text/markdown") t.push(joined(v));
        }
      }
      texts.push(t);
    });
  } else {
    // nbconvert stops at the first failing cell and, in this version, writes nothing: read
    // the error from its report
    const m = r.stderr.match(/^(\w*Error): (.*)$/m);
    errors.push({ cell: -1, ename: m?.[1] ?? "nbconvert", evalue: m?.[2] ?? r.stderr.trim() });
  }
  return { code: r.code, path, errors, texts, mimeCounts, stderr: r.stderr };
}
