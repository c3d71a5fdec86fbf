import assert from "node:assert/strict";
import { freePort } from "./free_port.ts";

Deno.test("freePort: a port of 127.0.0.1 that can be listened on at once", () => {
  const port = freePort();
  assert.ok(port > 0 && port < 65536, String(port));
  const l = Deno.listen({ hostname: "127.0.0.1", port });
  assert.equal((l.addr as Deno.NetAddr).port, port);
  l.close();
});

Deno.test("freePort: on the address named", () => {
  const port = freePort("127.0.0.2");
  const l = Deno.listen({ hostname: "127.0.0.2", port });
  assert.equal((l.addr as Deno.NetAddr).port, port);
  l.close();
});
