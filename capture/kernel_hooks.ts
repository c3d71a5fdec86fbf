/**
 * Which kernel hooks beyond tracepoints and uprobes the machine a capture runs on offers — the
 * hooks Sightline does not use, so that a recording can state what its kernel could not have
 * shown rather than assume it: kprobes from sysfs (a kprobe event source,
 * `/sys/bus/event_source/devices/kprobe`), fentry and BPF LSM by loading and attaching the
 * smallest program of each (`sightline-loader --probe-hooks`, bpf/hook_probe.h).
 */
import type { KernelHooks } from "../recording/blind_spots.ts";
import { LOADER_PATH } from "./loader.ts";

const KPROBE_PMU = "/sys/bus/event_source/devices/kprobe";

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

/** Probes the hooks; what cannot be probed (no loader, not root) is null with the reason. */
export async function probeKernelHooks(
  opts: { loaderPath?: string; kprobePmu?: string } = {},
): Promise<KernelHooks> {
  const out: KernelHooks = { kprobes: null, fentry: null, bpf_lsm: null, why: {} };
  out.kprobes = exists(opts.kprobePmu ?? KPROBE_PMU);
  if (out.kprobes === false) out.why.kprobes = "no kprobe event source";
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
    for (const [key, name] of [["fentry", "fentry"], ["bpf_lsm", "lsm"]] as const) {
      const p = j[name];
      if (!p) continue;
      out[key] = p.ok;
      if (!p.ok) out.why[key] = `${p.step}: ${p.error}`;
    }
  } catch (e) {
    const why = `not probed: ${(e as Error).message.split("\n")[0] || "the loader failed"}`;
    out.why.fentry = out.why.bpf_lsm = why;
  }
  return out;
}
