/**
 * The kernel-hooks probe: kprobes from the kprobe event source, fentry and BPF LSM by loading
 * and attaching (as root, with the real loader), and "not probed" with the reason when the
 * loader cannot be run — never a guess.
 */
import assert from "node:assert/strict";
import { probeKernelHooks } from "./kernel_hooks.ts";
import { kernelHooksSpot } from "../recording/blind_spots.ts";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";

Deno.test("kernel hooks: no kprobe event source is no kprobes; no loader is not probed", async () => {
  const dir = await Deno.makeTempDir();
  const h = await probeKernelHooks({
    kprobePmu: `${dir}/kprobe`,
    loaderPath: `${dir}/none`,
    cachePath: "",
  });
  assert.equal(h.kprobes, false);
  assert.equal(h.why.kprobes, "no kprobe event source");
  assert.equal(h.fentry, null);
  assert.equal(h.bpf_lsm, null);
  assert.match(h.why.fentry, /^not probed: /);
  const spot = kernelHooksSpot(h);
  assert.match(spot.what, /kprobes: not available \(no kprobe event source\); fentry: not probed/);
  await Deno.mkdir(`${dir}/kprobe`);
  assert.equal(
    (await probeKernelHooks({
      kprobePmu: `${dir}/kprobe`,
      loaderPath: `${dir}/none`,
      cachePath: "",
    }))
      .kprobes,
    true,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "kernel hooks: the loader tells whether fentry and BPF LSM load and attach here",
  ignore: skipWithoutRoot(),
  async fn() {
    const h = await probeKernelHooks({ cachePath: "" });
    for (const k of ["fentry", "bpf_lsm"] as const) {
      assert.equal(typeof h[k], "boolean", `${k} was probed (${h.why[k]})`);
      if (!h[k]) assert.match(h.why[k], /^(btf|load|attach): \S/, k);
    }
    const said = kernelHooksSpot(h).what;
    assert.match(said, h.fentry ? /fentry: available, not used/ : /fentry: not available \(/);
  },
});

Deno.test({
  name: "kernel hooks: the loader's findings are kept for the boot, not beyond it",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir();
    const cachePath = `${dir}/sub/hooks.json`;
    try {
      const probed = await probeKernelHooks({ cachePath });
      assert.equal(typeof probed.fentry, "boolean");
      // the same boot: the answer stands without the loader
      const again = await probeKernelHooks({ cachePath, loaderPath: `${dir}/none` });
      assert.deepEqual(again, probed);
      // another boot's answer is not used: probed again (here: cannot be)
      const j = JSON.parse(await Deno.readTextFile(cachePath));
      await Deno.writeTextFile(cachePath, JSON.stringify({ ...j, boot: `other ${j.boot}` }));
      const other = await probeKernelHooks({ cachePath, loaderPath: `${dir}/none` });
      assert.equal(other.fentry, null);
      assert.match(other.why.fentry, /^not probed: /);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
