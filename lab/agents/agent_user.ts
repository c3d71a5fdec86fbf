/**
 * Running an agent as an unprivileged user when the runner is root. Claude Code's 1.0 builds
 * refuse `--dangerously-skip-permissions` as root whatever the environment says ("cannot be
 * used with root/sudo privileges for security reasons"; later builds accept `IS_SANDBOX=1`).
 * The runner starts every agent as itself; when one refuses root (its profile's
 * `rootRefusal` in what it printed, an exit that is not 0, no request made) it starts it
 * again through `setpriv` as {@linkcode AGENT_USER}, a system user made on first use, and
 * hands it the run's files: its HOME and TMPDIR (in the run directory), a copy of the server's
 * CA certificate (the CA's own directory holds its key and stays root's), and the working
 * directory with the scenario's files.
 *
 * Why not always the unprivileged user (every pinned agent passes read_write that way): the
 * callers prepare working directories as root (the evasion suite's programs, benchmark
 * projects) under directories only root can enter (`Deno.makeTempDir`), which the agent user
 * could not use; the pinned builds, which accept root, keep running as they always did.
 *
 * Why `setpriv` and not the capture's own "as you" (the loader's spawn drops to SUDO_UID before
 * it execs the command): what the capture starts is not always the agent (the hosts-file
 * wrapper, `unshare --mount`, which only root may run, or the HTTP MCP launcher come first),
 * and a run without capture has no loader. `setpriv` is the last exec before the agent's, so it
 * composes with every wrap; a recording shows its exec and set*id calls just before the agent.
 */

export const AGENT_USER = "sightline-agent";

/** Who an agent runs as: the runner's own user, or {@linkcode AGENT_USER} (root only). */
export type RunAs = "runner" | "agent-user";

export interface AgentUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * Who the agent is to run as from the start: what was asked (`runAs`) when the runner is root;
 * undefined (the runner, then the agent user if it refuses root) otherwise. A runner that is
 * not root runs it as itself whatever was asked (setpriv could not switch).
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
 * and printed its profile's `refusal` message. A started agent run as the agent user already
 * (`user`) has nothing to refuse.
 */
export function refusedRoot(
  refusal: RegExp | undefined,
  run: Started & { user?: AgentUser },
): boolean {
  if (!refusal || run.user || run.exitCode === null || run.exitCode === 0) return false;
  if (run.requests > 0) return false;
  return refusal.test(run.stderr) || refusal.test(run.stdout);
}

/** `name`'s entry in an /etc/passwd text, or undefined. */
export function passwdEntry(passwd: string, name: string): AgentUser | undefined {
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f[0] !== name || f.length < 7) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) return undefined;
    return { name, uid, gid };
  }
  return undefined;
}

async function lookUp(name: string): Promise<AgentUser | undefined> {
  return passwdEntry(await Deno.readTextFile("/etc/passwd"), name);
}

/** {@linkcode AGENT_USER}, made (`useradd --system`, no home, no login shell) when missing. */
export async function ensureAgentUser(name = AGENT_USER): Promise<AgentUser> {
  const known = await lookUp(name);
  if (known) return known;
  const out = await new Deno.Command("useradd", {
    args: [
      "--system",
      "--user-group",
      "--no-create-home",
      "--home-dir",
      "/nonexistent",
      "--shell",
      "/usr/sbin/nologin",
      "--comment",
      "Sightline agents that refuse root",
      name,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output().catch((e: Error) => {
    throw new Error(`cannot make the user ${name} agents run as: useradd: ${e.message}`);
  });
  const made = await lookUp(name);
  if (!made) {
    const why = new TextDecoder().decode(out.stderr).trim().split("\n")[0] ||
      `exit ${out.code}`;
    throw new Error(`cannot make the user ${name} agents run as: ${why}`);
  }
  return made;
}

/** `argv` run as `user`: its uid, its group and that group's supplementary groups. */
export function asUser(argv: string[], user: AgentUser): string[] {
  return [
    "setpriv",
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    "--init-groups",
    "--",
    ...argv,
  ];
}

/** Gives `path` to `user`, and everything under it when it is a directory (not following links). */
export async function chownTree(path: string, user: AgentUser): Promise<void> {
  const st = await Deno.lstat(path);
  if (st.isSymlink) return;
  await Deno.chown(path, user.uid, user.gid);
  if (!st.isDirectory) return;
  for await (const e of Deno.readDir(path)) await chownTree(`${path}/${e.name}`, user);
}
