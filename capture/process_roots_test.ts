/** Roots of chrooted processes: followed through forks, replaced by a later chroot, forgotten
 * at a setns; paths named from them put under them. */
import assert from "node:assert/strict";
import { ProcessRoots, underRoot } from "./process_roots.ts";

Deno.test("a chroot's root is its children's, until another chroot or a setns", () => {
  const r = new ProcessRoots();
  r.chroot(10, "/srv/jail");
  r.fork(11, 10);
  r.fork(20, 1); // not a descendant
  assert.equal(r.of(11), "/srv/jail");
  assert.equal(r.of(20), undefined);
  r.chroot(11, "/srv/jail/inner"); // the kernel side names it from the namespace's top
  r.fork(12, 11);
  assert.equal(r.of(12), "/srv/jail/inner");
  assert.equal(r.of(10), "/srv/jail", "the parent's own root is unchanged");
  r.forget(10);
  assert.equal(r.of(10), undefined);
  r.chroot(12, "/");
  assert.equal(r.of(12), undefined, "back at the machine's root");
  r.fork(11, 1); // a reused pid: its parent's root, not the old process's
  assert.equal(r.of(11), undefined);
});

Deno.test("paths named from a root, from the machine's root", () => {
  assert.equal(underRoot("/srv/jail", "/etc/passwd"), "/srv/jail/etc/passwd");
  assert.equal(underRoot("/srv/jail", "/"), "/srv/jail");
  assert.equal(underRoot(undefined, "/etc/passwd"), "/etc/passwd");
  assert.equal(underRoot("/srv/jail", "rel/x"), "rel/x", "a path left relative stays so");
});
