/**
 * x86-64 decoding for the locator, through iced-x86 (a maintained decoder compiled to WASM).
 * Everything else in `capture/locate/` sees plain `Insn` records, never iced objects, so the
 * WASM boundary is crossed once per instruction and nothing needs freeing.
 */

import { Code, Decoder, DecoderOptions, FlowControl, Mnemonic, OpKind, Register } from "iced-x86";

export interface Insn {
  ip: number;
  len: number;
  /** iced `Code` (opcode + operand form). */
  code: number;
  mnemonic: number;
  flow: "next" | "jmp" | "jcc" | "ijmp" | "call" | "icall" | "ret" | "int" | "other";
  /** Target of a direct jmp/jcc/call. */
  target?: number;
  /** First operand's register (Register.None if not a register). */
  reg0: number;
  /** Second operand's register (Register.None if not a register). */
  reg1: number;
  /** Immediate of the first operand, when it is one (`push imm`). */
  imm0?: number;
  /** Immediate of the second operand, when it is one. */
  imm1?: number;
  /** Absolute address of a RIP-relative memory operand. */
  ripRef?: number;
  /** Base register of the memory operand, when there is one (not RIP). */
  memBase?: number;
  invalid: boolean;
}

const FLOW: Record<number, Insn["flow"]> = {
  [FlowControl.Next]: "next",
  [FlowControl.UnconditionalBranch]: "jmp",
  [FlowControl.ConditionalBranch]: "jcc",
  [FlowControl.IndirectBranch]: "ijmp",
  [FlowControl.Call]: "call",
  [FlowControl.IndirectCall]: "icall",
  [FlowControl.Return]: "ret",
  [FlowControl.Interrupt]: "int",
};

const IMM_KINDS = new Set<number>([
  OpKind.Immediate8,
  OpKind.Immediate16,
  OpKind.Immediate32,
  OpKind.Immediate64,
  OpKind.Immediate8to32,
  OpKind.Immediate8to64,
  OpKind.Immediate32to64,
]);

export const X86 = { Code, Mnemonic, Register };

/**
 * The System V integer argument registers in order (Rust's ABI uses the same ones), each in its
 * 64- and 32-bit forms.
 */
export const ARG_REGS: ReadonlySet<number>[] = [
  new Set([Register.RDI, Register.EDI]),
  new Set([Register.RSI, Register.ESI]),
  new Set([Register.RDX, Register.EDX]),
  new Set([Register.RCX, Register.ECX]),
  new Set([Register.R8, Register.R8D]),
  new Set([Register.R9, Register.R9D]),
];
/** Their 64-bit names, in the same order. */
export const ARG_REG_NAMES = ["rdi", "rsi", "rdx", "rcx", "r8", "r9"];

/** The argument index a register carries, or -1. */
export function argIndex(reg: number): number {
  return ARG_REGS.findIndex((s) => s.has(reg));
}

/**
 * Decodes instructions of `bytes` (loaded at `ip`) linearly; stops after `max`, at the end, or
 * after the first instruction for which `stop` is true (that one is included).
 */
export function decodeLinear(
  bytes: Uint8Array,
  ip: number,
  max = Infinity,
  stop?: (i: Insn) => boolean,
): Insn[] {
  const out: Insn[] = [];
  const d = new Decoder(64, bytes, DecoderOptions.None);
  d.ip = BigInt(ip);
  try {
    while (d.canDecode && out.length < max) {
      const i = d.decode();
      let insn: Insn;
      try {
        insn = toInsn(i);
      } finally {
        i.free();
      }
      out.push(insn);
      if (stop?.(insn)) break;
    }
  } finally {
    d.free();
  }
  return out;
}

/** Decodes the one instruction at the start of `bytes`. */
export function decodeOne(bytes: Uint8Array, ip: number): Insn | undefined {
  return decodeLinear(bytes, ip, 1)[0];
}

// deno-lint-ignore no-explicit-any
function toInsn(i: any): Insn {
  const flow = FLOW[i.flowControl as number] ?? "other";
  const insn: Insn = {
    ip: Number(i.ip),
    len: i.length,
    code: i.code,
    mnemonic: i.mnemonic,
    flow,
    reg0: i.op0Kind === OpKind.Register ? i.op0Register : Register.None,
    reg1: i.opCount >= 2 && i.op1Kind === OpKind.Register ? i.op1Register : Register.None,
    invalid: i.code === Code.INVALID,
  };
  if (flow === "jmp" || flow === "jcc" || flow === "call") {
    const k = i.op0Kind;
    if (k === OpKind.NearBranch64 || k === OpKind.NearBranch32 || k === OpKind.NearBranch16) {
      insn.target = Number(i.nearBranchTarget);
    }
  }
  if (i.opCount >= 1 && IMM_KINDS.has(i.op0Kind)) insn.imm0 = Number(i.immediate(0));
  if (i.opCount >= 2 && IMM_KINDS.has(i.op1Kind)) insn.imm1 = Number(i.immediate(1));
  if (i.isIpRelMemoryOperand) insn.ripRef = Number(i.ipRelMemoryAddress);
  else {
    const base = i.memoryBase; // None without a memory operand
    if (base !== Register.None) insn.memBase = base;
  }
  return insn;
}

/** True for an instruction after which execution never falls through. */
export function isTerminator(i: Insn): boolean {
  return i.flow === "jmp" || i.flow === "ijmp" || i.flow === "ret" || i.invalid ||
    i.code === Code.Int3 || i.code === Code.Ud2;
}
