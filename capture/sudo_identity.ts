/**
 * The user a captured command runs as: the one who ran `sudo`, named by SUDO_UID and SUDO_GID
 * in the capture's environment (a capture, or a `capture --via` client, started with sudo);
 * none (the command runs as the capture does, root) when SUDO_UID is not set. A value that is
 * not a user or group id is an error, never read as 0 (root). No imports: the `--via` client
 * loads this alone.
 */

/** The largest id: (uid_t)-1 means "unchanged" to setuid(2), so it is not one. */
const MAX_ID = 4294967294;

/** One id from the environment, or an Error naming the variable. */
function id(name: string, value: string): number {
  const n = /^[0-9]{1,10}$/.test(value) ? Number(value) : NaN;
  if (!(n <= MAX_ID)) {
    throw new Error(`${name}=${value} is not a ${name === "SUDO_UID" ? "user" : "group"} id`);
  }
  return n;
}

/**
 * `{uid, gid}` of the user `env` names (SUDO_UID, SUDO_GID), or undefined when it names none.
 * Throws an Error (one line) for a value that is not an id, or SUDO_UID without SUDO_GID.
 */
export function sudoIdentity(
  env: Record<string, string | undefined>,
): { uid: number; gid: number } | undefined {
  const u = env.SUDO_UID, g = env.SUDO_GID;
  if (u === undefined || u === "") {
    if (g !== undefined && g !== "") throw new Error("SUDO_GID is set without SUDO_UID");
    return undefined;
  }
  if (g === undefined || g === "") throw new Error("SUDO_UID is set without SUDO_GID");
  return { uid: id("SUDO_UID", u), gid: id("SUDO_GID", g) };
}
