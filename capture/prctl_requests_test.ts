/** prctl and seccomp requests are named by the 32 bits the kernel reads, whatever the
 * register's high bits say. */
import assert from "node:assert/strict";
import { prctlRequest, seccompRequest } from "./prctl_requests.ts";

const HIGH = 1n << 32n;

Deno.test("a prctl option with the register's high bits set is named by its int", () => {
  assert.equal(prctlRequest(HIGH | 38n, 1n, 0n), "PR_SET_NO_NEW_PRIVS 1");
  assert.equal(prctlRequest(38n, 1n, 0n), "PR_SET_NO_NEW_PRIVS 1");
  assert.equal(prctlRequest(HIGH | 24n, 13n, 0n), "PR_CAPBSET_DROP CAP_NET_RAW");
  assert.equal(prctlRequest(HIGH | 15n, 0n, 0n), "option 15");
});

Deno.test("a seccomp operation and flags with high bits set are named by their unsigned ints", () => {
  assert.equal(seccompRequest(HIGH | 1n, HIGH), "SECCOMP_SET_MODE_FILTER");
  assert.equal(seccompRequest(HIGH, 0n), "SECCOMP_SET_MODE_STRICT");
  assert.equal(seccompRequest(1n, HIGH | 8n), "SECCOMP_SET_MODE_FILTER flags 0x8");
});

Deno.test("PR_SET_DUMPABLE and PR_SET_PTRACER are named, PR_SET_PTRACER_ANY for -1 as a long or an int", () => {
  assert.equal(prctlRequest(HIGH | 4n, 0n, 0n), "PR_SET_DUMPABLE 0");
  assert.equal(prctlRequest(0x59616d61n, -1n, 0n), "PR_SET_PTRACER_ANY");
  assert.equal(prctlRequest(0x59616d61n, 0xffffffffffffffffn, 0n), "PR_SET_PTRACER_ANY");
  assert.equal(prctlRequest(0x59616d61n, 0xffffffffn, 0n), "PR_SET_PTRACER_ANY");
  assert.equal(prctlRequest(0x59616d61n, HIGH | 0xffffffffn, 0n), "PR_SET_PTRACER_ANY");
  assert.equal(prctlRequest(0x59616d61n, 1234n, 0n), "PR_SET_PTRACER 1234");
  assert.equal(prctlRequest(0x59616d61n, 0n, 0n), "PR_SET_PTRACER 0");
});

Deno.test("a PR_SET_PTRACER pid is its low 32 bits, the raw value shown when high bits are set", () => {
  assert.equal(prctlRequest(0x59616d61n, HIGH | 1234n, 0n), "PR_SET_PTRACER 1234 (0x1000004d2)");
  assert.equal(
    prctlRequest(0x59616d61n, HIGH, 0n),
    "PR_SET_PTRACER 0 (0x100000000: pid 0, not none)",
  );
  assert.equal(prctlRequest(0x59616d61n, 0xfffffffen, 0n), "PR_SET_PTRACER -2");
});
