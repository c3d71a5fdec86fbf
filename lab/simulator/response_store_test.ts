/** The scripted server's store of Responses answers, as the API keeps them. */
import assert from "node:assert/strict";
import { ResponseStore } from "./response_store.ts";

const enc = new TextEncoder();
const sse = (events: unknown[]) =>
  enc.encode(
    events.map((e) => `event: ${(e as { type: string }).type}\ndata: ${JSON.stringify(e)}\n\n`)
      .join(""),
  );
const ask = { role: "user", content: "hello" };
const said = { type: "message", role: "assistant", content: [{ type: "output_text", text: "hi" }] };

Deno.test("a streamed answer is kept whether it completed or stopped at max_output_tokens", () => {
  for (const end of ["response.completed", "response.incomplete"]) {
    const store = new ResponseStore();
    store.keep(
      { input: [ask] },
      sse([{ type: "response.created", response: { id: "resp_1" } }, {
        type: end,
        response: { id: "resp_1", output: [said] },
      }]),
      true,
    );
    const next = store.expand({ previous_response_id: "resp_1", input: "and then?" });
    assert.ok("body" in next, end);
    assert.deepEqual((next.body as { input: unknown[] }).input, [ask, said, {
      type: "message",
      role: "user",
      content: "and then?",
    }]);
  }
});

Deno.test("an id never kept, or a request that asked store: false, gets the API's not-found", () => {
  const store = new ResponseStore();
  store.keep(
    { input: [ask], store: false },
    enc.encode(JSON.stringify({ id: "r", output: [] })),
    false,
  );
  assert.equal(store.size, 0);
  const next = store.expand({ previous_response_id: "r", input: [] });
  assert.deepEqual(next, { error: "Previous response with id 'r' not found." });
});
