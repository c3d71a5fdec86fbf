/**
 * What `HttpAssembler` (http_tables.ts) keeps of each exchange and LLM call until all are in
 * and it numbers them, held compactly: numbers in typed columns, and the rest of a call (its
 * tool calls and results, its history's hashes, its errors, its OpenAI Responses items) as
 * JSON text in a `TextArena`, outside V8's heap, read back when `finish` takes the call. At 10M
 * events (100,000 calls) the stubs as objects were about 250 MiB of live heap that every
 * forced collection between connections marked again; here most calls are numbers in the
 * columns and text in the arena. A call that continues an earlier OpenAI Responses response
 * (`previous_response_id`: every Codex turn over WebSocket after the first) keeps its chain and
 * its draft (the row still to make) as objects on the heap; the input and output items of the
 * other chains are parsed again only when a later call names their response.
 *
 * Every value comes back as it was put (a chain's items only when a call continues its
 * response: `CallStubs.chain`), or the same for every reader of it (an undefined property
 * comes back absent): when JSON would change any of a call's text parts (a hole in an
 * array, a number JSON cannot write, a value that is not plain data), all of them are kept as
 * the objects they are; a chain JSON would change is kept whole.
 */
import { TextArena } from "../kit/text_arena.ts";
import { grown } from "../kit/typed_arrays.ts";
import type { ChainCall } from "./llm/response_chains.ts";
import { type History, type RequestInfo, type ResponseInfo, type TextLines } from "./llm/shapes.ts";

/**
 * How a call travelled: `http` a request and its response over TLS, `cleartext-http` the same
 * in plain HTTP/1 over TCP (read from `ipc`), `websocket` messages of a WebSocket.
 */
export type Transport = "http" | "cleartext-http" | "websocket";
const TRANSPORTS: readonly Transport[] = ["http", "cleartext-http", "websocket"];

/** The problem an exchange's error makes, once it is numbered. */
export interface ExchangeProblem {
  source: string;
  kind: string;
  message: string;
}

/** The exchanges as kept until they are numbered: time, connection and place in it. */
export class ExchangeStubs {
  #sortTs = new BigInt64Array(0);
  #conn = new Int32Array(0);
  #k = new Int32Array(0);
  #problems = new Map<number, ExchangeProblem>();
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** Keeps an exchange; its index (its provisional id - 1). */
  add(sortTs: bigint, conn: number, k: number, problem: ExchangeProblem | null): number {
    const x = this.#length++;
    this.#sortTs = grown(this.#sortTs, x + 1);
    this.#conn = grown(this.#conn, x + 1);
    this.#k = grown(this.#k, x + 1);
    this.#sortTs[x] = sortTs;
    this.#conn[x] = conn;
    this.#k[x] = k;
    if (problem) this.#problems.set(x, problem);
    return x;
  }

  /** Every exchange's time, by index (read once for sorting). */
  sortTimes(): bigint[] {
    return Array.from(this.#sortTs.subarray(0, this.#length));
  }

  /** The connection of exchange `x` (its index in the order begun). */
  conn(x: number): number {
    return this.#conn[x];
  }

  /** The place of exchange `x` in its connection. */
  k(x: number): number {
    return this.#k[x];
  }

  /** The problem exchange `x` makes (its error), if any. */
  problem(x: number): ExchangeProblem | null {
    return this.#problems.get(x) ?? null;
  }
}

/** A call as kept until the calls are numbered: what numbering, chains and matching need. */
export interface CallStub<Draft> {
  /** provisional exchange id - 1 */
  exchange: number;
  /** place among its exchange's calls */
  j: number;
  request_ns: bigint | null;
  end_ns: bigint | null;
  pid: number;
  transport: Transport;
  path: string | null;
  /** the `source` of its problems; null when it is its connection's label */
  source: string | null;
  errors: string[];
  toolResults: RequestInfo["toolResults"];
  toolCalls: ResponseInfo["toolCalls"];
  serverTools: ResponseInfo["serverTools"];
  /** its history's hashes (for its conversation), when read */
  history: History | null;
  /** a main turn (not a side call): only a main turn starts again from a summary */
  main: boolean;
  /** its user's new text (a fork's task comes with its tool results; a sub-agent's is its task) */
  userInput: string | null;
  /** the lines of its answer when it is text alone (no tool call): a summary it may be */
  answer: TextLines | null;
  /**
   * answered with an error, cut short or not answered, or (a main turn) refused or answered
   * with neither text nor a tool call: a retry of it continues it
   */
  failed: boolean;
  /** OpenAI Responses calls: what chain resolution reads (not resolved yet: no `previous`) */
  chain: ChainCall | null;
  /** a call that continues an earlier response: its row is made once the chain is resolved */
  draft: Draft | null;
}

/** The parts of a stub kept as text, in this order. */
type Rest = [
  CallStub<never>["path"],
  CallStub<never>["source"],
  CallStub<never>["errors"],
  CallStub<never>["toolResults"],
  CallStub<never>["toolCalls"],
  CallStub<never>["serverTools"],
  CallStub<never>["history"],
  CallStub<never>["userInput"],
  CallStub<never>["answer"],
];

/** What is kept of a chain that continues no response, besides its items. */
type ChainHead = [provider: string, responseId: string | null, request: RequestInfo];
/** Its items: the request body and the output items. */
type ChainBody = [requestJson: unknown, outputItems: ChainCall["outputItems"] | null];

const REQ_NULL = 1, END_NULL = 2, MAIN = 4, FAILED = 8, CHAIN = 16;
const TRANSPORT_SHIFT = 5;

/**
 * The calls as kept until they are numbered (see `CallStub`); `get` gives a call's stub back,
 * `chain` its chain (the items only of a response some call continues).
 */
export class CallStubs<Draft> {
  #exchange = new Int32Array(0);
  #j = new Int32Array(0);
  #pid = new Float64Array(0);
  #requestNs = new BigInt64Array(0);
  #endNs = new BigInt64Array(0);
  #flags = new Uint8Array(0);
  /** per call: the number of its `Rest` text, its chain's head and body (-1: none) */
  #rest = new Int32Array(0);
  #head = new Int32Array(0);
  #body = new Int32Array(0);
  #texts = new TextArena();
  /** parts JSON would change, kept as they are */
  #restKept = new Map<number, Rest>();
  #chainKept = new Map<number, { chain: ChainCall | null; draft: Draft | null }>();
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** Keeps a call's stub; its index (its provisional id - 1). */
  add(s: CallStub<Draft>): number {
    // (a call's chain is kept before the chains are resolved, at `finish`)
    if (s.chain?.previous !== undefined) throw new Error("http_stubs: a chain kept once resolved");
    const c = this.#length++;
    this.#exchange = grown(this.#exchange, c + 1);
    this.#j = grown(this.#j, c + 1);
    this.#pid = grown(this.#pid, c + 1);
    this.#requestNs = grown(this.#requestNs, c + 1);
    this.#endNs = grown(this.#endNs, c + 1);
    this.#flags = grown(this.#flags, c + 1);
    this.#rest = grown(this.#rest, c + 1);
    this.#head = grown(this.#head, c + 1);
    this.#body = grown(this.#body, c + 1);
    this.#exchange[c] = s.exchange;
    this.#j[c] = s.j;
    this.#pid[c] = s.pid;
    this.#requestNs[c] = s.request_ns ?? 0n;
    this.#endNs[c] = s.end_ns ?? 0n;
    let flags = (s.request_ns === null ? REQ_NULL : 0) | (s.end_ns === null ? END_NULL : 0) |
      (s.main ? MAIN : 0) | (s.failed ? FAILED : 0) |
      (TRANSPORTS.indexOf(s.transport) << TRANSPORT_SHIFT);
    const rest: Rest = [
      s.path,
      s.source,
      s.errors,
      s.toolResults,
      s.toolCalls,
      s.serverTools,
      s.history,
      s.userInput,
      s.answer,
    ];
    const restText = asJson(rest, true);
    this.#rest[c] = restText === undefined ? -1 : this.#texts.put(restText);
    if (restText === undefined) this.#restKept.set(c, rest);
    this.#head[c] = this.#body[c] = -1;
    const ch = s.chain;
    if (ch) {
      flags |= CHAIN;
      const body = asJson([ch.requestJson ?? null, ch.outputItems ?? null], false);
      const head = asJson([ch.provider, ch.responseId, ch.request], true);
      // a chain that continues a response, or one JSON would change, is kept whole
      if (
        s.draft !== null || ch.request.previousResponseId !== undefined ||
        ch.requestJson === undefined || body === undefined || head === undefined
      ) {
        this.#chainKept.set(c, { chain: ch, draft: s.draft });
      } else {
        this.#head[c] = this.#texts.put(head);
        this.#body[c] = this.#texts.put(body);
      }
    } else if (s.draft !== null) this.#chainKept.set(c, { chain: null, draft: s.draft });
    this.#flags[c] = flags;
    return c;
  }

  /** Every call's request time (null as 0n), by index (read once for sorting). */
  requestTimes(): bigint[] {
    return Array.from(this.#requestNs.subarray(0, this.#length));
  }

  /** The exchange of call `c` (its index). */
  exchange(c: number): number {
    return this.#exchange[c];
  }

  /** The place of call `c` among its exchange's calls. */
  j(c: number): number {
    return this.#j[c];
  }

  /** Whether call `c` has a chain (an OpenAI Responses call). */
  hasChain(c: number): boolean {
    return (this.#flags[c] & CHAIN) !== 0;
  }

  /** The responses that calls kept whole continue (`previous_response_id`). */
  continued(): Set<string> {
    const out = new Set<string>();
    for (const { chain } of this.#chainKept.values()) {
      const id = chain?.request.previousResponseId;
      if (id !== undefined) out.add(id);
    }
    return out;
  }

  /**
   * The chain of call `c` (null when it has none), as it was put; a chain kept as text gets
   * its items back only when `continued` holds its response id, else its `requestJson` is
   * null and it has no `outputItems` (no other call reads them: resolution looks a response's
   * items up only for the calls that continue it).
   */
  chain(c: number, continued: ReadonlySet<string>): ChainCall | null {
    if (!this.hasChain(c)) return null;
    const kept = this.#chainKept.get(c);
    if (kept) return kept.chain;
    const [provider, responseId, request] = JSON.parse(this.#texts.get(this.#head[c])) as ChainHead;
    let requestJson: unknown = null;
    let outputItems: ChainCall["outputItems"];
    if (responseId !== null && continued.has(responseId)) {
      const [json, items] = JSON.parse(this.#texts.get(this.#body[c])) as ChainBody;
      requestJson = json;
      outputItems = items ?? undefined;
    }
    const chain: ChainCall = { provider, requestJson, responseId, request };
    if (outputItems !== undefined) chain.outputItems = outputItems;
    return chain;
  }

  /** The stub of call `c`, but its chain (`chain`). */
  get(c: number): CallStub<Draft> {
    const f = this.#flags[c];
    const rest = this.#restKept.get(c) ?? JSON.parse(this.#texts.get(this.#rest[c])) as Rest;
    const [path, source, errors, toolResults, toolCalls, serverTools, history, userInput, answer] =
      rest;
    return {
      exchange: this.#exchange[c],
      j: this.#j[c],
      request_ns: f & REQ_NULL ? null : this.#requestNs[c],
      end_ns: f & END_NULL ? null : this.#endNs[c],
      pid: this.#pid[c],
      transport: TRANSPORTS[f >> TRANSPORT_SHIFT],
      path,
      source,
      errors,
      toolResults,
      toolCalls,
      serverTools,
      history,
      main: (f & MAIN) !== 0,
      userInput,
      answer,
      failed: (f & FAILED) !== 0,
      chain: null,
      draft: this.#chainKept.get(c)?.draft ?? null,
    };
  }
}

/**
 * `v` as JSON text, when parsing it gives the same value back for every reader: plain objects
 * (of `Object.prototype`) and arrays without holes, strings, finite numbers but -0, booleans
 * and null; with `undefinedProps`, properties set to undefined too (they come back absent);
 * else undefined.
 */
export function asJson(v: unknown, undefinedProps: boolean): string | undefined {
  return plainJson(v, undefinedProps, 0) ? JSON.stringify(v) : undefined;
}

function plainJson(v: unknown, undefinedProps: boolean, depth: number): boolean {
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(v) && !Object.is(v, -0);
    case "object": {
      if (v === null) return true;
      if (depth > 200) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          if (!(i in v) || !plainJson(v[i], undefinedProps, depth + 1)) return false;
        }
        return Object.keys(v).length === v.length;
      }
      // (a null-prototype object would come back with Object.prototype)
      if (Object.getPrototypeOf(v) !== Object.prototype) return false;
      // (a plain object's own enumerable properties: its prototype has none)
      for (const k in v) {
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined ? !undefinedProps : !plainJson(x, undefinedProps, depth + 1)) {
          return false;
        }
      }
      return true;
    }
    default:
      return false;
  }
}
