/**
 * Whole exec command lines from the kernel's pieces: an SL_K_EXEC carries the first 16 KiB of
 * the argv block, and a longer block goes on in SL_K_ARGV chunks that follow it (up to
 * ARGV_KEEP bytes in all, bpf/events.h). The assembler holds such an exec until its chunks are
 * in, then hands it on with `argv` made from the whole block. An exec whose block the record
 * carried whole (nearly all) goes straight through, costing one comparison.
 *
 * Nothing comes short silently: a block longer than ARGV_KEEP is cut there (`cut`); bytes that
 * never came (a chunk the ring buffer had no room for, memory the kernel could not read) are
 * `lost`. Either way the exec goes on flagged (Flag.TRUNC: `argv_truncated`) and counted, and
 * `argvWarnings` says so in the manifest.
 *
 * When the chunks are over: the kernel emits them in the exec's own program run, so any later
 * record of that pid from the same ring buffer (rb_events) means they all came that were coming
 * (`after`); the session's tick ends those still waiting after a whole tick (a process that
 * does nothing after a lossy exec), and `finish` the rest. Records from the other ring buffer
 * (TLS, ipc: read in turn with it, so possibly before chunks emitted earlier) say nothing.
 */
import { ARGV_KEEP, Flag, Kind, type SlEvent, splitNul } from "./events.ts";

/** Kinds the kernel emits into rb_events, as the chunks (bit per kind). */
const SAME_RING: number = [
  Kind.FORK,
  Kind.EXEC,
  Kind.EXIT,
  Kind.FILE,
  Kind.NET,
  Kind.DNS,
  Kind.GATE,
  Kind.PRIV,
  Kind.URING_DONE,
].reduce((m: number, k: number) => m | (1 << k), 0);

type ExecEvent = SlEvent & { kind: 2 };
type ArgvEvent = SlEvent & { kind: 15 };

/** What the command lines of a capture miss. */
export interface ArgvDamage {
  /** execs whose argv block was longer than ARGV_KEEP, cut there */
  cut: number;
  /** execs short by bytes that never came (ring buffer full, unreadable memory) */
  lost: number;
  /** those bytes */
  lostBytes: number;
}

interface Pending {
  ev: ExecEvent;
  parts: Uint8Array[];
  /** bytes in `parts`, all from offset 0 on */
  have: number;
  /** bytes expected: min(argvTotal, ARGV_KEEP) */
  want: number;
  /** bytes the kernel said it could not read */
  faulted: number;
  /** the tick it came in */
  tick: number;
}

export class ArgvAssembler {
  readonly damage: ArgvDamage = { cut: 0, lost: 0, lostBytes: 0 };
  readonly #pending = new Map<number, Pending>();
  readonly #out: (ev: ExecEvent) => void;
  #tick = 0;

  /** `out` gets each exec, whole or flagged, in the order they complete. */
  constructor(out: (ev: ExecEvent) => void) {
    this.#out = out;
  }

  /** Execs waiting for their chunks. */
  get waiting(): number {
    return this.#pending.size;
  }

  exec(ev: ExecEvent): void {
    this.settle(ev.pid); // (an earlier exec of the pid whose chunks never came)
    if (!ev.argvHead) {
      this.#out(ev);
      return;
    }
    const head = ev.argvHead;
    this.#pending.set(ev.pid, {
      ev,
      parts: [head],
      have: head.length,
      want: Math.min(ev.argvTotal, ARGV_KEEP),
      faulted: 0,
      tick: this.#tick,
    });
  }

  chunk(ev: ArgvEvent): void {
    const p = this.#pending.get(ev.pid);
    if (!p) return; // its exec was dropped (counted in the drops of exec)
    if (ev.hflags & Flag.FAULT) p.faulted += ev.len;
    else if (ev.offset === p.have && ev.data.length) {
      p.parts.push(ev.data.slice());
      p.have += ev.data.length;
    } // (after a gap: the rest is lost, as a command line with a hole would mislead)
    if ((ev.hflags & Flag.LAST) || p.have >= p.want) this.settle(ev.pid);
  }

  /** Any record while execs wait: one of their pid from rb_events says their chunks are over. */
  after(ev: SlEvent): void {
    if (ev.kind < 32 && (SAME_RING & (1 << ev.kind))) this.settle(ev.pid);
  }

  /** The chunks of `pid`'s exec are over: it goes out with what came. */
  settle(pid: number): void {
    const p = this.#pending.get(pid);
    if (!p) return;
    this.#pending.delete(pid);
    const { ev } = p;
    const whole = new Uint8Array(p.have);
    let o = 0;
    for (const part of p.parts) {
      whole.set(part, o);
      o += part.length;
    }
    let hflags = ev.hflags;
    if (ev.argvTotal > ARGV_KEEP) {
      this.damage.cut++;
      hflags |= Flag.TRUNC;
    }
    if (p.have < p.want) {
      this.damage.lost++;
      this.damage.lostBytes += p.want - p.have;
      hflags |= Flag.TRUNC;
    }
    const { argvHead: _, ...rest } = ev;
    this.#out({ ...rest, hflags, argv: splitNul(whole, 0, whole.length) });
  }

  /** Once a second: execs that waited a whole tick end with what came. */
  tick(): void {
    for (const [pid, p] of this.#pending) if (p.tick < this.#tick) this.settle(pid);
    this.#tick++;
  }

  /** The stream has ended. */
  finish(): void {
    for (const pid of [...this.#pending.keys()]) this.settle(pid);
  }
}

/** The manifest's warning lines for what the command lines miss (none when nothing). */
export function argvWarnings(d: ArgvDamage): string[] {
  const lines: string[] = [];
  if (d.cut) {
    lines.push(
      `exec: ${d.cut} command line${d.cut === 1 ? "" : "s"} longer than ${ARGV_KEEP} bytes ` +
        `cut there (argv_truncated)`,
    );
  }
  if (d.lost) {
    lines.push(
      `exec: ${d.lostBytes} bytes of ${d.lost} command line${d.lost === 1 ? "" : "s"} lost ` +
        "(ring buffer full, or unreadable memory; argv_truncated)",
    );
  }
  return lines;
}
