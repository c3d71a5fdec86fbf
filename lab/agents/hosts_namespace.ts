/**
 * Host names for a scenario's loopback pages without touching the machine's /etc/hosts: the
 * agent runs in a private mount namespace (`unshare --mount`, root only) where a generated
 * hosts file is bind-mounted over /etc/hosts, so the agent and every command it runs resolve
 * those names to their 127.x addresses, and nothing else on the machine sees them.
 */

/** Prefixes `argv` so that it runs with `hostsPath` as its /etc/hosts. */
export function withHostsFile(argv: string[], hostsPath: string): string[] {
  return [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "--",
    "/bin/sh",
    "-c",
    'mount --bind "$0" /etc/hosts && exec "$@"',
    hostsPath,
    ...argv,
  ];
}
