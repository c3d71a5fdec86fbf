/**
 * Connects the static-binary locator (capture/locate) to the attach layer: for an executable
 * without exported TLS symbols, a cheap scan decides whether there is anything to find; if
 * so, the locator's hooks (by file offset) get their eBPF programs from the probe table.
 */
import type { Locator } from "./attach.ts";
import { locate, quickScan } from "./locate/mod.ts";
import { type Hook, type Inspection, PROBES } from "./tls_targets.ts";

export const locateForCapture: Locator = async (path, insp): Promise<Inspection> => {
  const scan = quickScan(path);
  if (!scan.maybe) {
    return { ...insp, status: "none", hooks: [], reason: scan.reason ?? "no TLS library" };
  }
  const r = await locate(path);
  if (!r.ok) {
    return {
      ...insp,
      // marker data was there, so this is a TLS library we failed to hook: report it
      status: "unsupported",
      library: r.library,
      method: r.method,
      hooks: [],
      reason: r.reason ?? "the locator found no hook",
      tried: r.tried,
    };
  }
  const hooks: Hook[] = [];
  const missing: string[] = [];
  for (const h of r.hooks) {
    const spec = PROBES[h.fn];
    if (!spec) {
      missing.push(h.fn);
      continue;
    }
    hooks.push({
      fn: h.fn,
      offset: h.fileOffset,
      vaddr: h.vaddr,
      retOffsets: h.retOffsets,
      ...spec,
      method: `${h.evidence} (confidence ${h.confidence})`,
    });
  }
  return {
    path,
    status: hooks.length ? "hooked" : "unsupported",
    library: r.library,
    method: r.method + (r.cached ? " (cached)" : ""),
    hooks,
    buildId: r.buildId,
    tried: r.tried,
    ...(missing.length ? { reason: `no eBPF programs for ${missing.join(", ")}` } : {}),
  };
};
