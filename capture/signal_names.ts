/**
 * Linux signal names by number (x86-64 and arm64: asm-generic/signal.h, arch/x86 signal.h),
 * for the signals the capture records (`privilege` rows of `kill`, `tgkill`, ...): `SIGTERM`,
 * `SIGRTMIN+3`; a number outside them stays a number.
 */

const NAMES = [
  "",
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGILL",
  "SIGTRAP",
  "SIGABRT",
  "SIGBUS",
  "SIGFPE",
  "SIGKILL",
  "SIGUSR1",
  "SIGSEGV",
  "SIGUSR2",
  "SIGPIPE",
  "SIGALRM",
  "SIGTERM",
  "SIGSTKFLT",
  "SIGCHLD",
  "SIGCONT",
  "SIGSTOP",
  "SIGTSTP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGURG",
  "SIGXCPU",
  "SIGXFSZ",
  "SIGVTALRM",
  "SIGPROF",
  "SIGWINCH",
  "SIGIO",
  "SIGPWR",
  "SIGSYS",
];

/** The kernel's first real-time signal (glibc's SIGRTMIN is 34: it keeps two for itself). */
const RTMIN = 32;
const RTMAX = 64;

/** The name of signal `n`: `SIGTERM`, `SIGRTMIN+2`; another number as itself. */
export function signalName(n: number): string {
  if (n > 0 && n < NAMES.length) return NAMES[n];
  if (n === RTMIN) return "SIGRTMIN";
  if (n > RTMIN && n <= RTMAX) return `SIGRTMIN+${n - RTMIN}`;
  return String(n);
}
