import assert from "node:assert/strict";
import { asJson, type CallStub, CallStubs, ExchangeStubs } from "./http_stubs.ts";
import type { ChainCall } from "./llm/response_chains.ts";
import { emptyRequest, type History, type RequestInfo } from "./llm/shapes.ts";

const history: History = {
  system: 2 ** 52 + 7,
  hash: 123456789012345,
  turns: [1, 2 ** 53 - 1],
  lead: { hashes: [42, 7e15], lengths: [9, 12], chars: 21 },
  toolIds: [99],
  lastModel: false,
  opening: "done",
};

const NO_CHAIN: RequestInfo = emptyRequest();

function stub(over: Partial<CallStub<{ name: string }>> = {}): CallStub<{ name: string }> {
  return {
    exchange: 3,
    j: 1,
    request_ns: 1_765_000_000_123_456_789n,
    end_ns: null,
    pid: 4242,
    transport: "websocket",
    path: "/v1/responses",
    source: null,
    errors: ["a problem", "another"],
    toolResults: [{ callId: "call_1", text: "out\n", isError: undefined }],
    toolCalls: [{ id: "call_2", name: "Bash", kind: "function", input: '{"command":"ls"}' }],
    serverTools: [
      {
        id: "srvtoolu_1",
        name: "web_search",
        input: '{"query":"weather"}',
        resultType: "web_search_tool_result",
        result: "sunny",
        isError: false,
      },
      { name: "code_execution", input: "{}", isError: true },
    ],
    history,
    main: true,
    userInput: "\uFEFFTask 1: list the files \uD800",
    answer: { hashes: [5], lengths: [10], chars: 10 },
    failed: false,
    chain: null,
    draft: null,
    ...over,
  };
}

Deno.test("http_stubs: a call comes back as it was put (numbers, nulls, text, flags)", () => {
  const cs = new CallStubs<{ name: string }>();
  const a = stub();
  const b = stub({
    exchange: 0,
    j: 0,
    request_ns: null,
    end_ns: 5n,
    transport: "cleartext-http",
    main: false,
    failed: true,
    history: null,
    answer: null,
    userInput: null,
    path: null,
    source: "pid 1 conn 0x2 gen 3",
    errors: [],
    serverTools: [],
  });
  assert.equal(cs.add(a), 0);
  assert.equal(cs.add(b), 1);
  // an undefined property comes back absent: the same for every reader
  const { isError: _, ...result } = a.toolResults[0];
  assert.deepEqual(cs.get(0), { ...a, toolResults: [result] });
  assert.deepEqual(cs.get(1), { ...b, toolResults: [result] });
  assert.deepEqual(cs.requestTimes(), [a.request_ns, 0n]);
  assert.equal(cs.exchange(0), 3);
  assert.equal(cs.j(1), 0);
  // each part is its own: the server tools, errors and history of each call
  assert.deepEqual(cs.get(0).serverTools.map((t) => [t.name, t.result, t.isError]), [
    ["web_search", "sunny", false],
    ["code_execution", undefined, true],
  ]);
  assert.deepEqual([cs.get(0).errors, cs.get(1).errors], [["a problem", "another"], []]);
  assert.deepEqual([cs.get(0).history, cs.get(1).history], [history, null]);
});

Deno.test("http_stubs: a part JSON would change is kept as it is", () => {
  const cs = new CallStubs<never>();
  const holes: unknown[] = [];
  holes[2] = "x";
  const odd = stub({
    errors: holes as string[],
    toolCalls: [{ name: "n", kind: "function", input: "{}", id: -0 as unknown as string }],
  }) as CallStub<never>;
  cs.add(odd);
  const back = cs.get(0);
  assert.equal(back.errors, odd.errors);
  assert.equal(back.toolCalls, odd.toolCalls);
  // a null-prototype object would come back with Object.prototype: kept as it is
  const bare = Object.assign(Object.create(null), { name: "x", input: "{}" });
  cs.add(stub({ serverTools: [bare] }) as CallStub<never>);
  assert.equal(cs.get(1).serverTools[0], bare);
  assert.equal(asJson(Object.create(null), true), undefined);
  assert.equal(asJson([1, , 2], true), undefined);
  assert.equal(asJson({ a: undefined }, false), undefined);
  assert.equal(asJson({ a: undefined }, true), "{}");
  assert.equal(asJson(new Map(), true), undefined);
  assert.equal(asJson({ n: NaN }, true), undefined);
  assert.equal(asJson({ n: 1n }, true), undefined);
  assert.equal(
    asJson({ s: "\uD800", a: [null, true, 1.5] }, false),
    '{"s":"\\ud800","a":[null,true,1.5]}',
  );
});

Deno.test("http_stubs: a Responses chain's items come back only for a response another call continues", () => {
  const cs = new CallStubs<{ name: string }>();
  const items = [{ type: "message", role: "user", content: "hi" }];
  const out = [{ type: "message", content: [{ type: "output_text", text: "yo" }] }];
  const chain = (responseId: string | null, request: RequestInfo): ChainCall => ({
    provider: "openai-responses",
    requestJson: { input: items },
    responseId,
    outputItems: out,
    request,
  });
  cs.add(stub({ chain: chain("resp_1", { ...NO_CHAIN, history }) }));
  cs.add(stub({ chain: chain("resp_2", { ...NO_CHAIN, history }) }));
  const continuing = chain("resp_3", { ...NO_CHAIN, previousResponseId: "resp_1" });
  const draft = { name: "the draft" };
  cs.add(stub({ chain: continuing, draft }));
  cs.add(stub());
  const continued = cs.continued();
  assert.deepEqual([...continued], ["resp_1"]);
  assert.deepEqual(cs.chain(0, continued), chain("resp_1", { ...NO_CHAIN, history }));
  // nobody continues resp_2: its items are not read (resolution looks up only those of a
  // response some call continues)
  assert.deepEqual(cs.chain(1, continued), {
    provider: "openai-responses",
    requestJson: null,
    responseId: "resp_2",
    request: { ...NO_CHAIN, history },
  });
  // the call that continues one is kept whole, its draft too
  assert.equal(cs.chain(2, continued), continuing);
  assert.equal(cs.get(2).draft, draft);
  assert.equal(cs.chain(3, continued), null);
  assert.equal(cs.hasChain(3), false);
  // a chain is kept before it is resolved: the call it continues would not be
  assert.throws(
    () => cs.add(stub({ chain: { ...chain("resp_4", NO_CHAIN), previous: 0 } })),
    { message: "http_stubs: a chain kept once resolved" },
  );
  assert.equal(cs.length, 4);
});

Deno.test("http_stubs: exchanges keep time, connection, place and problem", () => {
  const xs = new ExchangeStubs();
  const p = { source: "s", kind: "protocol", message: "m" };
  assert.equal(xs.add(9n, 2, 0, null), 0);
  assert.equal(xs.add(-1n, 0, 5, p), 1);
  assert.equal(xs.length, 2);
  assert.deepEqual(xs.sortTimes(), [9n, -1n]);
  assert.deepEqual([xs.conn(1), xs.k(1), xs.problem(1), xs.problem(0)], [0, 5, p, null]);
});
