/**
 * What a recorded prctl(2) or seccomp(2) call asked for, as the `request` of its privilege row:
 * the option's name (linux/prctl.h) and its argument, a capability by its name
 * (linux/capability.h; one the table does not know, as `cap N`). The kernel reads prctl's option
 * as int and seccomp's operation and flags as unsigned int, so only those 32 bits are named.
 */

/** Capabilities by number (linux/capability.h, through CAP_CHECKPOINT_RESTORE 40). */
const CAPS = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
];

const capName = (n: bigint) => CAPS[Number(n)] ?? `cap ${n}`;

const SECCOMP_MODES: Record<string, string> = { "1": "strict", "2": "filter" };
const AMBIENT: Record<string, string> = { "2": "RAISE", "3": "LOWER", "4": "CLEAR_ALL" };

/** prctl: `PR_SET_DUMPABLE 0`, `PR_SET_PTRACER 1234` (a pid; 0: none), `PR_SET_PTRACER_ANY` (also -1 as an int),
 * `PR_CAPBSET_DROP CAP_NET_RAW`, `PR_CAP_AMBIENT_RAISE CAP_NET_BIND_SERVICE`,
 * `PR_CAP_AMBIENT_CLEAR_ALL`, `PR_SET_KEEPCAPS 1`, `PR_SET_NO_NEW_PRIVS 1`,
 * `PR_SET_SECCOMP filter`, `PR_SET_SECUREBITS 0x2f`. */
export function prctlRequest(register: bigint, arg2: bigint, arg3: bigint): string {
  const option = BigInt.asIntN(32, register);
  switch (option) {
    case 4n:
      return `PR_SET_DUMPABLE ${arg2}`;
    case 0x59616d61n:
      return ptracerRequest(arg2);
    case 8n:
      return `PR_SET_KEEPCAPS ${arg2}`;
    case 22n:
      return `PR_SET_SECCOMP ${SECCOMP_MODES[String(arg2)] ?? arg2}`;
    case 24n:
      return `PR_CAPBSET_DROP ${capName(arg2)}`;
    case 28n:
      return `PR_SET_SECUREBITS 0x${BigInt.asUintN(64, arg2).toString(16)}`;
    case 38n:
      return `PR_SET_NO_NEW_PRIVS ${arg2}`;
    case 47n: {
      const how = AMBIENT[String(arg2)] ?? String(arg2);
      return `PR_CAP_AMBIENT_${how}${how === "CLEAR_ALL" ? "" : ` ${capName(arg3)}`}`;
    }
  }
  return `option ${option}`;
}

/** PR_SET_PTRACER as Yama reads it (security/yama/yama_lsm.c): 0 clears; PR_SET_PTRACER_ANY
 * ((unsigned long)-1) or -1 as an int (a 32-bit caller's, or an int -1 through variadic prctl)
 * allows any; any other value is a pid_t, its low 32 bits. High bits set are shown in hex too: a
 * nonzero value whose low half is 0 is not "none" but pid 0, which no task has (Yama: EINVAL). */
function ptracerRequest(arg2: bigint): string {
  if (arg2 === 0n) return "PR_SET_PTRACER 0";
  const pid = BigInt.asIntN(32, arg2);
  if (pid === -1n) return "PR_SET_PTRACER_ANY";
  const raw = BigInt.asUintN(64, arg2);
  if (raw >> 32n === 0n) return `PR_SET_PTRACER ${pid}`;
  const note = pid === 0n ? ": pid 0, not none" : "";
  return `PR_SET_PTRACER ${pid} (0x${raw.toString(16)}${note})`;
}

/** seccomp(2): `SECCOMP_SET_MODE_STRICT` or `SECCOMP_SET_MODE_FILTER` (and its flags, hex). */
export function seccompRequest(opRegister: bigint, flagsRegister: bigint): string {
  const operation = BigInt.asUintN(32, opRegister);
  const flags = BigInt.asUintN(32, flagsRegister);
  const name = operation === 0n
    ? "SECCOMP_SET_MODE_STRICT"
    : operation === 1n
    ? "SECCOMP_SET_MODE_FILTER"
    : `operation ${operation}`;
  return flags ? `${name} flags 0x${flags.toString(16)}` : name;
}
