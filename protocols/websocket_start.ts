/**
 * Whether a direction the capture joined under way (no upgrade seen: `capture --pid` of an agent
 * whose WebSocket was open before) begins with WebSocket frames (RFC 6455 5.2), so that it is
 * redacted as a WebSocket after its upgrade is (its bytes a tunnel: capture/tls_streams.ts,
 * capture/ipc_redact.ts) rather than masked blind as a stream of unknown landing.
 *
 * The frames must begin at the direction's first byte and follow one another exactly, as a
 * sender writes them: every header valid (`webSocketFrameHeader`: RSV2/RSV3 clear, a defined
 * opcode, RSV1 only on a data frame that begins a message, control frames whole and short,
 * lengths in their shortest form), all masked or all unmasked (5.1: a client masks every frame,
 * a server none; the connection's other direction, if judged so too, the other way), the
 * fragmentation rules kept (5.4: after a data frame without FIN only continuation or control
 * frames until FIN; continuation frames first only as the rest of a message begun before the
 * join), at least one frame that begins a message or is a control frame, and a frame's end
 * exactly where a call ends: two whole frames or more, or one whole FIN frame that is the whole
 * first call (or, once no more bytes come, all that came). Every byte held must be consistent.
 *
 * ASCII text cannot pass: a byte below 0x80 is never a FIN frame's first byte nor the second
 * byte of a masked one, and the only data frame headers made of printable ASCII (`A`, `B`:
 * RSV1, no FIN) must be followed by a continuation or control frame, whose first bytes (0x00,
 * 0x80, 0x88-0x8A) are no printable text. So `AIzaSy...`, `Authorization: Bearer ...` or
 * `{"api_key":...}` at a joined direction's start stay masked. Non-ASCII UTF-8 can pass (`°`,
 * C2 B0, is a FIN binary RSV1 masked frame of 48 bytes), and so can binary data: random bytes
 * about once in 10^4 for a short first call (a valid first byte, ~3%, and a length that lands
 * on its end). A lone control frame (ping, pong, close) proves nothing: a data frame that
 * begins a message is needed. So the verdict is not final: the redactors keep pushing every
 * later byte of a direction taken as WebSocket (`broken` once its frames no longer follow one
 * another), and at the first break the direction falls back to a gap of unknown landing
 * (blind masking), never raw.
 *
 * A push parser: fed call by call (`push`), it holds nothing but a frame header's bytes.
 */
import { type WebSocketFrameHeader, webSocketFrameHeader } from "./websocket_frame.ts";
import { FrameRun } from "./frame_run.ts";

/** The side a direction of WebSocket frames is: the client's masks its frames, the server's not. */
export type WebSocketSide = "client" | "server";

/** The most bytes held at a direction's start while its frames may yet prove WebSocket. */
export const MAX_WEBSOCKET_START = 4 << 20;

/** A frame header is at most 14 bytes (2, a 64-bit length, a masking key). */
const MAX_HEADER = 14;

export class WebSocketStart {
  #run: FrameRun<WebSocketFrameHeader>;
  #masked: boolean | undefined;
  /** a data message begun in the run is unfinished; one has begun (or a control frame came) */
  #open = false;
  #begun = false;
  #whole = 0;
  #lastFin = false;
  #proved = false;
  /** non-empty calls fed */
  #calls = 0;

  /**
   * `side`: the side the frames must be (a run checked on after a loss, from the next call's
   * first byte: frames masked as before it)
   */
  constructor(side?: WebSocketSide) {
    if (side) this.#masked = side === "client";
    this.#run = new FrameRun<WebSocketFrameHeader>(
      (b) => {
        const h = webSocketFrameHeader(b);
        return h === null || h === "short"
          ? h
          : { header: h, size: h.headerLength + h.payloadLength };
      },
      MAX_HEADER,
      (h) => this.#header(h),
      (h, endsCall) => this.#end(h, endsCall),
    );
  }

  /** A frame's header: masked as the others, by the fragmentation rules (RFC 6455 5.4). */
  #header(h: WebSocketFrameHeader): boolean {
    this.#masked ??= h.masked;
    if (h.masked !== this.#masked) return false;
    if (h.opcode === 0) {
      // a continuation frame: of the message begun in the run, or first, of one begun before
      if (this.#open) this.#open = !h.fin;
      else if (this.#begun) return false;
    } else if (h.opcode <= 2) {
      if (this.#open) return false; // a new message inside a fragmented one
      this.#open = !h.fin;
      this.#begun = true;
    } // a control frame: allowed, but it begins nothing (a lone ping proves no WebSocket)
    return true;
  }

  /** A frame's end: where a call ends too, two whole frames or one FIN frame, the first call. */
  #end(h: WebSocketFrameHeader, endsCall: boolean): boolean {
    this.#whole++;
    this.#lastFin = h.fin;
    if (endsCall && this.#begun && (this.#whole >= 2 || (this.#calls === 0 && h.fin))) {
      this.#proved = true;
    }
    return true;
  }

  /**
   * The bytes fed (before and after the verdict) are no run of WebSocket frames: a header that
   * begins no frame, or breaks the masking or fragmentation rules.
   */
  get broken(): boolean {
    return this.#run.broken;
  }

  /** The side its frames are so far (masked: the client's), undefined before any. */
  get side(): WebSocketSide | undefined {
    return this.#masked === undefined ? undefined : this.#masked ? "client" : "server";
  }

  /** The next call's bytes (none lost before them); after the verdict too, to check the rest. */
  push(chunk: Uint8Array): void {
    if (!chunk.length) return;
    this.#run.push(chunk);
    this.#calls++;
  }

  /**
   * The side whose frames the bytes so far are, null when they are no WebSocket frames,
   * undefined while more bytes are needed (never when `ended`: no more come before a loss or
   * the end). `peer`: the side the connection's other direction was judged (this one must be
   * the other).
   */
  verdict(ended: boolean, peer?: WebSocketSide): WebSocketSide | null | undefined {
    if (this.#run.broken || this.#masked === undefined) {
      return this.#run.broken || ended ? null : undefined;
    }
    const side: WebSocketSide = this.#masked ? "client" : "server";
    if (side === peer) return null;
    if (this.#proved) return side;
    if (ended) {
      const whole = this.#run.atFrameEnd && this.#begun && (this.#whole >= 2 || this.#lastFin);
      return whole ? side : null;
    }
    return this.#run.fed >= MAX_WEBSOCKET_START ? null : undefined;
  }
}
