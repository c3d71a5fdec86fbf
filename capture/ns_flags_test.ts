/** CLONE_NEW* flags are named as the system call's documentation names them. */
import assert from "node:assert/strict";
import { namespaceFlags } from "./ns_flags.ts";

Deno.test("namespaceFlags names each CLONE_NEW* flag, ascending, and nothing else", () => {
  // unshare -r -n: CLONE_NEWUSER | CLONE_NEWNET
  assert.equal(namespaceFlags(0x50000000n), "CLONE_NEWUSER|CLONE_NEWNET");
  // bwrap's clone: CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD (17)
  assert.equal(namespaceFlags(0x30020011n, true), "CLONE_NEWNS|CLONE_NEWUSER|CLONE_NEWPID");
  assert.equal(
    namespaceFlags(0x7e020080n),
    [
      "CLONE_NEWTIME",
      "CLONE_NEWNS",
      "CLONE_NEWCGROUP",
      "CLONE_NEWUTS",
      "CLONE_NEWIPC",
      "CLONE_NEWUSER",
      "CLONE_NEWPID",
      "CLONE_NEWNET",
    ].join("|"),
  );
  // fork's flags (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD): no namespace
  assert.equal(namespaceFlags(0x01200011n, true), null);
  assert.equal(namespaceFlags(0n), null);
});

Deno.test("namespaceFlags: 0x80 is clone's exit signal bits, CLONE_NEWTIME elsewhere", () => {
  assert.equal(namespaceFlags(0x80n, true), null);
  assert.equal(namespaceFlags(0x80n), "CLONE_NEWTIME");
});
