/**
 * Connects the static-binary locator (capture/locate) to the attach layer: for an executable
 * or a shared library that connects to servers itself (a Node addon loaded by dlopen) without
 * exported TLS symbols, the locator (which refuses files with no TLS library after reading
 * headers and strings, and caches every answer per build) finds the hooks by file
 * offset, and they get their eBPF programs from the probe table. The cache is asked on the
 * calling thread; a miss is located by `offThread` when the attach layer gives one (a big
 * binary: seconds of work the capture's main thread must not be blocked by), else here.
 */
import type { Locator } from "./attach.ts";
import { locate, locateCached, type LocatedHook } from "./locate/mod.ts";
import { type Hook, type Inspection, PROBES, type ProbeSpec } from "./tls_targets.ts";

/** A located function with the programs its name gets (and its alternates, likewise). */
export function toHook(h: LocatedHook, spec: ProbeSpec): Hook {
  return {
    fn: h.fn,
    offset: h.fileOffset,
    vaddr: h.vaddr,
    retOffsets: h.retOffsets,
    ...(h.ctxArg !== undefined ? { ctxArg: h.ctxArg } : {}),
    ...(h.lenArg !== undefined ? { lenArg: h.lenArg } : {}),
    ...spec,
    method: `${h.evidence} (confidence ${h.confidence})`,
    ...(h.alternates?.length ? { alternates: h.alternates.map((a) => toHook(a, spec)) } : {}),
  };
}

export const locateForCapture: Locator = async (
  path,
  insp,
  cacheDir,
  onCacheError,
  offThread,
): Promise<Inspection> => {
  const r = await locateCached(path, cacheDir) ??
    await (offThread
      ? offThread.locate(path, cacheDir, onCacheError)
      : locate(path, { cacheDir, onCacheError }));
  // `tried` beyond the first (header/quick scan) step means marker data was there
  if (!r.ok && r.tried.length < 2) {
    return { ...insp, status: "none", hooks: [], reason: r.reason ?? "no TLS library" };
  }
  if (!r.ok) {
    return {
      ...insp,
      // a TLS library was recognised but could not be hooked: report it
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
    hooks.push(toHook(h, spec));
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
