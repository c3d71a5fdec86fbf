/**
 * Which kernel hooks beyond tracepoints and uprobes the machine a capture runs on offers — the
 * hooks Sightline does not use, so that a recording can state what its kernel could not have
 * shown rather than assume it: kprobes from sysfs (a kprobe event source,
 * `/sys/bus/event_source/devices/kprobe`), fentry and BPF LSM by loading and attaching the
 * smallest program of each (`sightline-loader --probe-hooks`, bpf/hook_probe.h). What the loader
 * found is kept for the rest of the boot (the kernel cannot change under it; a probe costs each
 * capture ~0.1 s of CPU, the kernel's whole BTF parsed, while its programs load), in a file
 * keyed by the boot id and the kernel release.
 */
import type { KernelHooks } from "../recording/blind_spots.ts";
import { LOADER_PATH } from "./loader.ts";

const KPROBE_PMU = "/sys/bus/event_source/devices/kprobe";
/** where the loader's findings are kept for the boot */
export const HOOKS_CACHE = "/run/sightline/kernel-hooks.json";

/** errors that may not recur (memory, a busy resource): such an answer is not kept */
const TRANSIENT = /temporarily unavailable|Cannot allocate memory|resource busy|Interrupted/i;

type Probed = Pick<KernelHooks, "fentry" | "bpf_lsm"> & { why: Record<string, string> };

/** This boot of this kernel: a cached probe from another one is not used. */
function bootKey(): string | undefined {
  try {
    return `${Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim()} ${Deno.osRelease()}`;
  } catch {
    return undefined;
  }
}

function readCache(path: string, key: string): Probed | undefined {
  try {
    const j = JSON.parse(Deno.readTextFileSync(path));
    if (j.boot !== key || typeof j.fentry !== "boolean" || typeof j.bpf_lsm !== "boolean") {
      return undefined;
    }
    return { fentry: j.fentry, bpf_lsm: j.bpf_lsm, why: j.why ?? {} };
  } catch {
    return undefined;
  }
}

/** Best effort: a capture that cannot write it probes again next time. */
function writeCache(path: string, key: string, p: Probed): void {
  try {
    Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true, mode: 0o755 });
    const tmp = `${path}.${Deno.pid}`;
    Deno.writeTextFileSync(tmp, JSON.stringify({ boot: key, ...p }) + "\n", { mode: 0o644 });
    Deno.renameSync(tmp, path);
  } catch { /* read-only /run, or not root */ }
}

interface ProbeResult {
  ok: boolean;
  step?: string;
  error?: string;
}

/** Whether `path` exists: true, false, or null when that cannot be told. */
function exists(path: string): boolean | null {
  try {
    Deno.statSync(path);
    return true;
  } catch (e) {
    return e instanceof Deno.errors.NotFound ? false : null;
  }
}

/**
 * Probes the hooks; what cannot be probed (no loader, not root) is null with the reason.
 * `cachePath` (default HOOKS_CACHE; "" for none) keeps the loader's findings for the boot.
 */
export async function probeKernelHooks(
  opts: { loaderPath?: string; kprobePmu?: string; cachePath?: string } = {},
): Promise<KernelHooks> {
  const out: KernelHooks = { kprobes: null, fentry: null, bpf_lsm: null, why: {} };
  out.kprobes = exists(opts.kprobePmu ?? KPROBE_PMU);
  if (out.kprobes === false) out.why.kprobes = "no kprobe event source";
  const cachePath = opts.cachePath ?? HOOKS_CACHE;
  const key = cachePath ? bootKey() : undefined;
  const cached = key ? readCache(cachePath, key) : undefined;
  if (cached) {
    out.fentry = cached.fentry;
    out.bpf_lsm = cached.bpf_lsm;
    Object.assign(out.why, cached.why);
    return out;
  }
  try {
    const r = await new Deno.Command(opts.loaderPath ?? LOADER_PATH, {
      args: ["--probe-hooks"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(r.stdout).trim();
    if (!r.success || !text) throw new Error(new TextDecoder().decode(r.stderr).trim());
    const j = JSON.parse(text) as Record<string, ProbeResult>;
    const probed: Probed = { fentry: null, bpf_lsm: null, why: {} };
    for (const [key, name] of [["fentry", "fentry"], ["bpf_lsm", "lsm"]] as const) {
      const p = j[name];
      if (!p) continue;
      probed[key] = p.ok;
      if (!p.ok) probed.why[key] = `${p.step}: ${p.error}`;
    }
    out.fentry = probed.fentry;
    out.bpf_lsm = probed.bpf_lsm;
    Object.assign(out.why, probed.why);
    const transient = Object.values(probed.why).some((w) => TRANSIENT.test(w));
    if (key && probed.fentry !== null && probed.bpf_lsm !== null && !transient) {
      writeCache(cachePath, key, probed);
    }
  } catch (e) {
    const why = `not probed: ${(e as Error).message.split("\n")[0] || "the loader failed"}`;
    out.why.fentry = out.why.bpf_lsm = why;
  }
  return out;
}
