/**
 * Run-time verification of every TLS hook: the first bytes each hook sees on each connection
 * (per direction) are classified (plaintext_check.ts). A hook is verified by the first
 * connection whose bytes look like plaintext, and proved wrong when they look like
 * ciphertext on every connection it has seen so far: then all its calls are dropped (the one
 * that proved it and any still in flight) and `onWrong` is told, which detaches it and tries
 * the locator's next candidate. Nothing passes silently: each hook's state, confidence, the
 * evidence and what was dropped go into the attach report.
 *
 * A hook placed by the file's own symbols (`SSL_write` exported by libssl or node, or named in
 * `.symtab`) is that function by definition: what it sees is the TLS plaintext, however random
 * it looks (a compressed or encrypted payload, a connection joined mid-stream by `capture
 * --pid`, TLS carried inside TLS). Its random-looking first bytes are counted and said, never
 * taken as proof that it is wrong; only the locator's guesses can be.
 */

import { classify, type Look } from "./plaintext_check.ts";
import type { TlsCall } from "./tls_assembler.ts";

export type HookState = "verified" | "unverified" | "wrong";

export interface HookCheck {
  target: number;
  state: HookState;
  /** 0..1: how sure the run-time check is of the state */
  confidence: number;
  /** one line: what decided it (or what was seen so far) */
  evidence: string;
  /** connections (and directions) whose first bytes were plaintext / ciphertext / unclear */
  plaintext: number;
  ciphertext: number;
  undecided: number;
  dropped_calls: number;
  dropped_bytes: number;
}

/** Bytes of the first call needed before judging a connection (smaller ones wait). */
const MIN_JUDGE = 16;

export class HookVerifier {
  #checks = new Map<number, HookCheck>();
  /** `${target}:${pid}:${conn}:${dir}` of connections already judged */
  #judged = new Set<string>();
  #onWrong: (target: number, check: HookCheck) => void;
  #bySymbol: (target: number) => boolean;

  /** `bySymbol`: whether a hook was placed by the file's symbols (then it is never wrong). */
  constructor(
    onWrong: (target: number, check: HookCheck) => void,
    bySymbol: (target: number) => boolean = () => false,
  ) {
    this.#onWrong = onWrong;
    this.#bySymbol = bySymbol;
  }

  /** Checks one call; false when it must be dropped (its hook is wrong). */
  check(call: TlsCall): boolean {
    const c = this.#check(call.target);
    if (c.state === "wrong") return this.#drop(c, call);
    const key = `${call.target}:${call.pid}:${call.conn}:${call.dir}`;
    if (this.#judged.has(key)) return true;
    if (call.data.length < MIN_JUDGE && call.data.length === call.total) {
      // too short to tell; the next call of this connection decides
      return true;
    }
    this.#judged.add(key);
    const look = classify(call.data, call.dir);
    this.#count(c, look, call.dir);
    if (look.kind === "ciphertext" && c.plaintext === 0 && this.#bySymbol(call.target)) {
      if (!/placed by symbol/.test(c.evidence)) {
        c.evidence += "; placed by symbol, so that is its plaintext: kept";
      }
      return true;
    }
    if (look.kind === "ciphertext" && c.plaintext === 0) {
      c.state = "wrong";
      c.confidence = look.confidence;
      c.evidence = `first ${dirName(call.dir)} on a connection: ${look.what}`;
      this.#onWrong(call.target, c);
      return this.#drop(c, call);
    }
    return true;
  }

  /** The checks so far, by target. */
  checks(): Map<number, HookCheck> {
    return this.#checks;
  }

  #check(target: number): HookCheck {
    let c = this.#checks.get(target);
    if (!c) {
      c = {
        target,
        state: "unverified",
        confidence: 0,
        evidence: "no connection seen yet",
        plaintext: 0,
        ciphertext: 0,
        undecided: 0,
        dropped_calls: 0,
        dropped_bytes: 0,
      };
      this.#checks.set(target, c);
    }
    return c;
  }

  #count(c: HookCheck, look: Look, dir: 0 | 1): void {
    c[look.kind]++;
    if (look.kind === "plaintext") {
      if (c.state !== "verified" || look.confidence > c.confidence) {
        c.state = "verified";
        c.confidence = look.confidence;
        c.evidence = `first ${dirName(dir)} on a connection: ${look.what}`;
      }
    } else if (look.kind === "ciphertext" && c.state === "verified") {
      // plaintext elsewhere, ciphertext here: keep the hook, but say so
      c.evidence += `; but another connection began with ${look.what}`;
    } else if (c.state === "unverified") {
      c.evidence = `first ${dirName(dir)} so far: ${look.what}`;
    }
  }

  #drop(c: HookCheck, call: TlsCall): false {
    c.dropped_calls++;
    c.dropped_bytes += call.data.length;
    return false;
  }
}

function dirName(dir: 0 | 1): string {
  return dir === 0 ? "write" : "read";
}
