/**
 * The root directory of each traced process that changed it (chroot), followed through forks,
 * so that the paths it and its children name from that root are recorded from the machine's
 * root: "/etc/passwd" named in a chroot at /srv/jail is /srv/jail/etc/passwd. The new root is
 * what the kernel side walked from the top of the mount namespace at the chroot (so a chroot
 * inside a chroot, or `chroot .`, is right too). A setns into another mount namespace gives the
 * process that namespace's root: it is forgotten then. A root changed by pivot_root, or before
 * the capture began (a `--pid` target already chrooted, a command started in one), is not seen:
 * those paths stay as named (reports/blind_spots.md, `inside-namespaces`).
 */

/** `path` (absolute, as a process under `root` names it) from the machine's root. */
export function underRoot(root: string | undefined, path: string): string {
  if (!root || !path.startsWith("/")) return path;
  return path === "/" ? root : `${root}${path}`;
}

export class ProcessRoots {
  readonly #roots = new Map<number, string>();

  /** The root of `pid`, when it (or a parent before its fork) changed it; else undefined. */
  of(pid: number): string | undefined {
    return this.#roots.get(pid);
  }

  /** A new process: its parent's root. */
  fork(pid: number, ppid: number): void {
    const r = this.#roots.get(ppid);
    if (r) this.#roots.set(pid, r);
    else this.#roots.delete(pid);
  }

  /** A chroot that succeeded: `root` from the top of the mount namespace. */
  chroot(pid: number, root: string): void {
    if (root === "/") this.#roots.delete(pid);
    else this.#roots.set(pid, root);
  }

  /** The process entered another mount namespace (setns): its root is that namespace's. */
  forget(pid: number): void {
    this.#roots.delete(pid);
  }
}
