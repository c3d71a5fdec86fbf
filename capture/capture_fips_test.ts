/**
 * A program with a BoringSSL FIPS module under capture: the module's EVP_AEAD_CTX_seal/open are
 * found but not hooked (a uprobe in the module fails its power-on integrity test and aborts the
 * program), so the program runs as it would without the capture, and the attach report says
 * which file was not hooked and why. In both link layouts: the modern one (the module's strings
 * in its code, apart from the read-only data: "no TLS library" before) and the old one (the
 * code segment the only read-only one: hooked before, and the program aborted). The module is
 * Go's BoringCrypto object linked into a C program (tests/support/fips_program.ts). Needs root
 * (eBPF).
 */
import assert from "node:assert/strict";
import { FIPS_NOT_HOOKED } from "./locate/fips_module.ts";
import type { AttachManager } from "./attach.ts";
import { captureForTest } from "../tests/support/capture.ts";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { buildFipsProgram, goBoringCrypto } from "../tests/support/fips_program.ts";

const NO_SYSO = (await goBoringCrypto()) === undefined && !Deno.env.get("CI");
if (NO_SYSO) console.warn("capture_fips_test: Go's BoringCrypto object not found: skipped");

Deno.test({
  name: "capture: a program with a BoringSSL FIPS module runs, its module not hooked, the attach " +
    "report saying why",
  ignore: skipWithoutRoot() || NO_SYSO,
  async fn() {
    for (const ld of [[], ["-Wl,-z,noseparate-code"]]) {
      const dir = await Deno.makeTempDir({ prefix: "sl-capture-fips-" });
      try {
        const { stripped } = await buildFipsProgram(dir, ld);
        const { res } = await captureForTest({
          cmd: [stripped],
          out: `${dir}/rec`,
          cacheDir: `${dir}/cache`,
        });
        // exit 0: its integrity test passed (a breakpoint in the module: SIGABRT)
        assert.equal(res.exitCode, 0, `${ld}: the program ran under capture`);
        const attach = res.manifest.attach as ReturnType<AttachManager["report"]>;
        assert.deepEqual(attach.hooked.filter((e) => e.path === stripped), [], `${ld}`);
        const entries = attach.not_hooked.filter((e) => e.path === stripped);
        assert.deepEqual(entries.map((e) => e.status), ["unsupported"], JSON.stringify(attach));
        const reason = entries[0].reason ?? "";
        assert.match(reason, /EVP_AEAD_CTX_seal at 0x[0-9a-f]+, EVP_AEAD_CTX_open at 0x[0-9a-f]+/);
        assert.match(reason, /inside a FIPS module \(.+\), not hooked: /);
        assert.ok(reason.includes(`, not hooked: ${FIPS_NOT_HOOKED}`), reason);
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    }
  },
});
