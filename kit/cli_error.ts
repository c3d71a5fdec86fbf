/**
 * The one error a command shows its user as one line, with the exit code it maps to (and
 * whether the usage follows). Every entry point ends on it: kit/cli.ts `runCommand` for most,
 * capture/main.ts for the capture, which imports this module alone (it has no imports, so the
 * capture's loader starts without waiting for node's modules; see capture/launch.ts).
 */

/** A failure the user should see as one line, with the exit code it maps to. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    /** print the usage after the message */
    readonly showUsage = false,
  ) {
    super(message);
  }
}
