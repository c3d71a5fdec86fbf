/**
 * A connection joined after its WebSocket upgrade is searched for frames once: the search that
 * decides it is a WebSocket is the one its messages are read from (it was made twice).
 */
import assert from "node:assert/strict";
import { rebuildConnections } from "./byte_streams.ts";
import { parseConnection } from "./connection_parser.ts";
import { build, fixtureTls, joinedAt, WS_FIXTURES } from "./testing.ts";
import { directionInput } from "./websocket_joined.ts";
import { findFrameStart, joinParts } from "./websocket_resync.ts";

Deno.test("a WebSocket joined after its upgrade: each direction's frame search is made once", async () => {
  const tls = fixtureTls(WS_FIXTURES[0]);
  const up = (await build(tls)).exchanges.find((e) => e.status === 101)!;
  assert.ok(up, "the fixture's WebSocket upgrade");
  const joined = joinedAt(tls, up.conn_id, up.response_ns! + 1n);
  const c = rebuildConnections(joined).find((x) => x.connId === up.conn_id)!;
  // the work of one search of each direction
  let once = 0;
  for (const [dir, side] of [["write", "client"], ["read", "server"]] as const) {
    const stats = { headers: 0 };
    findFrameStart(joinParts(directionInput(joined, c[dir]).parts), side, stats);
    assert.ok(stats.headers > 0, `${side} frames searched for`);
    once += stats.headers;
  }
  const frameSearch = { headers: 0 };
  const r = parseConnection(joined, c, { captureMode: "pid", frameSearch });
  assert.ok(r.exchanges[0].websocket?.joined, "read as a WebSocket joined late");
  assert.ok(r.exchanges[0].websocket!.messages.length > 0, "its messages read");
  assert.equal(frameSearch.headers, once, "searched once");
});
