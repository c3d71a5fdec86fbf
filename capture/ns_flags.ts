/**
 * Names of the CLONE_NEW* flags (linux/sched.h) the capture records for the namespace calls
 * (`privilege` rows of `unshare`, `setns`, `clone`, `clone3`): `CLONE_NEWUSER|CLONE_NEWNET`.
 * Other clone flags (CLONE_VM, CLONE_FILES, ...) and clone's exit signal are left out: they
 * make no namespace.
 */

/** The CLONE_NEW* flags, by bit, in ascending order. */
const CLONE_NEW: readonly [bigint, string][] = [
  [0x80n, "CLONE_NEWTIME"],
  [0x20000n, "CLONE_NEWNS"],
  [0x02000000n, "CLONE_NEWCGROUP"],
  [0x04000000n, "CLONE_NEWUTS"],
  [0x08000000n, "CLONE_NEWIPC"],
  [0x10000000n, "CLONE_NEWUSER"],
  [0x20000000n, "CLONE_NEWPID"],
  [0x40000000n, "CLONE_NEWNET"],
];

/**
 * The CLONE_NEW* flags set in `flags`, joined by `|`; null when none is. `clone` passes true
 * for `isClone`: clone(2)'s low byte is the child's exit signal, so 0x80 there is no
 * CLONE_NEWTIME.
 */
export function namespaceFlags(flags: bigint, isClone = false): string | null {
  const names = CLONE_NEW
    .filter(([bit]) => (flags & bit) !== 0n && !(isClone && bit === 0x80n))
    .map(([, name]) => name);
  return names.length ? names.join("|") : null;
}
