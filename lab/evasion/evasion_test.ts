/**
 * The evasion suite under a real capture: every technique's program does what it asks of the
 * kernel (exit 0), and the recording shows it with the right path or port, or states the blind
 * spot it falls in; none is silent. Also: the programs build with both compilers of the
 * toolchain.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { buildPrograms, runSuite } from "./suite.ts";
import { TECHNIQUES } from "./techniques.ts";
import { REPORT } from "./blind_spots_args.ts";

Deno.test("reports/blind_spots.md lists every technique of the suite, none not seen", () => {
  const md = Deno.readTextFileSync(REPORT);
  for (const t of TECHNIQUES) {
    const row = md.split("\n").find((l) => l.startsWith(`| \`${t.id}\` |`));
    assert.ok(row, `${t.id} is in the report (flock ... deno task blind-spots)`);
    assert.match(row, new RegExp(`\\*\\*${t.expect}\\*\\*`), `${t.id}: ${t.expect}`);
  }
  assert.doesNotMatch(md, /\| \*\*not seen/);
});

Deno.test("evasion programs build with gcc and clang, warnings as errors", async () => {
  for (const cc of ["gcc", "clang"]) {
    const out = await Deno.makeTempDir({ prefix: `sl-evasion-${cc}-` });
    const bins = await buildPrograms(out, cc);
    assert.ok(bins.size >= 15, `${cc}: ${bins.size} programs`);
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test({
  name: "evasion suite: every technique recorded or reported, none silent",
  ignore: skipWithoutRoot(),
  async fn() {
    const { results, rec } = await runSuite();
    const failed = results.filter((r) => r.exitCode !== 0);
    assert.deepEqual(
      failed.map((r) => `${r.technique.id}: exit ${r.exitCode}`),
      [],
      "each program did what it asked the kernel to",
    );
    const wrong = results.filter((r) => r.status !== r.technique.expect);
    assert.deepEqual(
      wrong.map((r) =>
        `${r.technique.id}: ${r.status}, expected ${r.technique.expect} (${r.evidence})`
      ),
      [],
    );
    assert.equal(rec.manifest.complete, true);
    assert.deepEqual(rec.manifest.drops, {});
    // the io_uring counts add up: every request of the suite was counted, and the ones not
    // decoded are exactly the two the undecoded program made
    assert.deepEqual(rec.manifest.io_uring?.not_decoded, { fsetxattr: 1, msg_ring: 1 });
    assert.equal(rec.manifest.io_uring?.no_completion, 0);
    // the recording states what its kernel's hooks leave unseen, probed rather than assumed
    const hooks = rec.manifest.blind_spots?.find((b) => b.id === "kernel-hooks");
    assert.ok(hooks, "the manifest states the kernel-hooks blind spot");
    assert.doesNotMatch(hooks.what, /not probed/);
    assert.match(hooks.what, /kprobes: (available|not available).*fentry: .*BPF LSM: /);
  },
});
