/**
 * Running an agent that refuses root where it does not see itself as root. Claude Code's 1.0
 * builds refuse `--dangerously-skip-permissions` as root whatever the environment says ("cannot
 * be used with root/sudo privileges for security reasons"; later builds accept `IS_SANDBOX=1`).
 * The runner starts every agent as itself; when one refuses root (its profile's `rootRefusal` in
 * what it printed, an exit that is not 0, no request made) a root runner starts it again through
 * `unshare --user`, the last exec before the agent's: a user namespace of its own with no id
 * mapped, where `getuid()` is the overflow id (65534, `nobody`), so its check passes.
 *
 * On the host nothing else changes: its credentials are still root's, so it reads and writes
 * what it did by the files' owner bits (a 0700 directory of root's stays open to it; the files it
 * makes are root's), the capture records it with its host ids, and everything the runner made for
 * it (HOME, working directory, trust bundle) is usable as it is. What it loses is root's power over
 * other owners' files (its capabilities hold only in its own namespace): a tool reading a 0600 file
 * of another user fails there as it would for any unprivileged agent.
 *
 * Why not a user of its own (setpriv to a system user, tried first): every directory on the way to
 * the agent's install, its HOME and working directory must then be open to that user, and a
 * checkout under `/root`, or this project's `.cache` made 0700 by whichever step created it
 * first, closed them (Claude Code 1.0.0: "Cannot find module …/claude").
 */

/**
 * How the agent is started when the runner is root: as the runner, or `not-root` (in a user
 * namespace of its own, where it is not root).
 */
export type RunAs = "runner" | "not-root";

/**
 * How the agent is to be started from the start: what was asked (`runAs`) when the runner is
 * root; undefined (as the runner, then not root if it refuses root) otherwise. A runner that is
 * not root runs it as itself whatever was asked: it is not root already.
 */
export function runAs(asked: RunAs | undefined, uid: number | null): RunAs | undefined {
  return uid === 0 ? asked : "runner";
}

/** What a start of the agent showed: its exit, what it printed, the requests it made. */
export interface Started {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  requests: number;
}

/**
 * Whether the agent refused to run as root: it exited (not 0, not killed), made no request,
 * and printed its profile's `refusal` message. A start that was not root already (`notRoot`)
 * has nothing to refuse.
 */
export function refusedRoot(
  refusal: RegExp | undefined,
  run: Started & { notRoot?: boolean },
): boolean {
  if (!refusal || run.notRoot || run.exitCode === null || run.exitCode === 0) return false;
  if (run.requests > 0) return false;
  return refusal.test(run.stderr) || refusal.test(run.stdout);
}

/** `argv` started in a user namespace of its own (no id mapped: it is uid 65534 there). */
export function notRoot(argv: string[]): string[] {
  return ["unshare", "--user", "--", ...argv];
}

/**
 * What a run that the agent refused as root and that was started again says on stderr: the
 * second start's stderr alone when it ran (exit 0), else both, the refusal first, so that a
 * second start that failed too (where `unshare --user` is refused: "unshare failed: Operation
 * not permitted" in a container, "No space left on device" where user namespaces are limited
 * to none) does not hide why it was started again.
 */
export function bothStarts(
  first: Pick<Started, "exitCode" | "stdout" | "stderr">,
  second: Pick<Started, "exitCode" | "stderr">,
): string {
  if (second.exitCode === 0) return second.stderr;
  const said = (first.stderr || first.stdout).trimEnd();
  const exit = (c: number | null) => (c === null ? "killed" : `exit ${c}`);
  return `[sightline] the agent refused to run as root (${exit(first.exitCode)}):\n${said}\n` +
    `[sightline] started again where it is not root (unshare --user), it failed ` +
    `(${exit(second.exitCode)}):\n${second.stderr}`;
}
