/**
 * As root, for real: a program compiled at test time (C, as `setpriv` and a sandbox would call
 * them) changes its capabilities and what it may gain — prctl PR_SET_KEEPCAPS,
 * PR_CAPBSET_DROP, PR_CAP_AMBIENT raise, lower and clear, PR_SET_SECUREBITS,
 * PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, and seccomp(2) SECCOMP_SET_MODE_FILTER — and each is a
 * `privilege` row with what it asked for and its result; its other prctl calls (PR_SET_NAME,
 * PR_GET_KEEPCAPS, PR_GET_DUMPABLE, PR_CAP_AMBIENT_IS_SET) and seccomp's queries are not rows. A call whose
 * option (prctl, an int) or operation and flags (seccomp, unsigned ints) come with the
 * register's high bits set acts as the low 32 bits say, and is a row named by them.
 */
import assert from "node:assert/strict";
import { captureTest, captureWithLog } from "../tests/support/capture.ts";

const PROBE_C = `
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <errno.h>
#define R(call) fprintf(log, "%d\\n", (call) < 0 ? -errno : 0)
int main(int argc, char **argv) {
  FILE *log = fopen(argv[1], "w");
  struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog prog = {1, &allow};
  prctl(PR_SET_NAME, "sl-probe");
  prctl(PR_GET_KEEPCAPS);
  prctl(PR_GET_DUMPABLE);
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 10, 0, 0);
  syscall(SYS_seccomp, 2 /* SECCOMP_GET_ACTION_AVAIL */, 0, &(unsigned){SECCOMP_RET_ALLOW});
  R(prctl(PR_SET_DUMPABLE, 0));
  R(prctl(PR_SET_DUMPABLE, 1));
  R(prctl(PR_SET_PTRACER, 1));
  R(prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY));
  R(syscall(SYS_prctl, PR_SET_PTRACER, 0xffffffffUL, 0L, 0L, 0L));
  R(syscall(SYS_prctl, PR_SET_PTRACER, 1UL << 32, 0L, 0L, 0L));
  R(prctl(PR_SET_PTRACER, 0));
  R(syscall(SYS_prctl, (1L << 32) | PR_SET_DUMPABLE, 0L, 0L, 0L, 0L));
  R(prctl(PR_SET_KEEPCAPS, 1));
  R(prctl(PR_CAPBSET_DROP, 13));
  R(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, 10, 0, 0));
  R(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, 10, 0, 0));
  R(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
  R(prctl(PR_SET_SECUREBITS, 0x10));
  R(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
  R(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog));
  R(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
  R(syscall(SYS_prctl, (1L << 32) | PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L));
  R(syscall(SYS_prctl, (1L << 32) | PR_CAPBSET_DROP, 13L, 0L, 0L, 0L));
  R(syscall(SYS_seccomp, (1L << 32) | SECCOMP_SET_MODE_FILTER, 1L << 32, &prog));
  fclose(log);
  return 0;
}
`;

captureTest(
  "prctl's capability and privilege settings and seccomp are privilege rows",
  "sl-prctl-",
  async (dir) => {
    await Deno.writeTextFile(`${dir}/probe.c`, PROBE_C);
    const cc = await new Deno.Command("cc", {
      args: ["-O1", "-o", `${dir}/probe`, `${dir}/probe.c`],
      stderr: "inherit",
    }).output();
    assert.ok(cc.success, "the probe compiles");
    await captureWithLog([`${dir}/probe`], async ({ rec, logPath }) => {
      const rets = (await Deno.readTextFile(logPath)).trim().split("\n").map(BigInt);
      const rows = rec.privilege.filter((p) => p.op === "prctl" || p.op === "seccomp")
        .map((p) => ({ op: p.op, request: p.request, ret: p.ret, t: p.target_pid }));
      const asked = [
        ["prctl", "PR_SET_DUMPABLE 0"],
        ["prctl", "PR_SET_DUMPABLE 1"],
        ["prctl", "PR_SET_PTRACER 1"],
        ["prctl", "PR_SET_PTRACER_ANY"],
        ["prctl", "PR_SET_PTRACER_ANY"],
        ["prctl", "PR_SET_PTRACER 0 (0x100000000: pid 0, not none)"],
        ["prctl", "PR_SET_PTRACER 0"],
        ["prctl", "PR_SET_DUMPABLE 0"],
        ["prctl", "PR_SET_KEEPCAPS 1"],
        ["prctl", "PR_CAPBSET_DROP CAP_NET_RAW"],
        ["prctl", "PR_CAP_AMBIENT_RAISE CAP_NET_BIND_SERVICE"],
        ["prctl", "PR_CAP_AMBIENT_LOWER CAP_NET_BIND_SERVICE"],
        ["prctl", "PR_CAP_AMBIENT_CLEAR_ALL"],
        ["prctl", "PR_SET_SECUREBITS 0x10"],
        ["prctl", "PR_SET_NO_NEW_PRIVS 1"],
        ["prctl", "PR_SET_SECCOMP filter"],
        ["seccomp", "SECCOMP_SET_MODE_FILTER"],
        ["prctl", "PR_SET_NO_NEW_PRIVS 1"],
        ["prctl", "PR_CAPBSET_DROP CAP_NET_RAW"],
        ["seccomp", "SECCOMP_SET_MODE_FILTER"],
      ];
      assert.equal(rets.length, asked.length, "the probe logged each call's result");
      assert.deepEqual(
        rows,
        asked.map(([op, request], i) => ({ op, request, ret: rets[i], t: null })),
      );
    });
  },
);
