import assert from "node:assert/strict";
import { closeAll } from "./close.ts";

Deno.test("closeAll: closes a listener and its connections, in order, though some are closed already", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const client = await Deno.connect({ hostname: "127.0.0.1", port });
  const server = await listener.accept();
  client.close();
  const order: string[] = [];
  const spy = (name: string, c: { close(): void }) => ({
    close() {
      order.push(name);
      c.close();
    },
  });
  closeAll([spy("listener", listener), spy("client", client), spy("server", server)]);
  assert.deepEqual(order, ["listener", "client", "server"], "the closed client stops nothing");
  assert.throws(() => server.close(), Deno.errors.BadResource);
  assert.throws(() => listener.close(), Deno.errors.BadResource);
});
