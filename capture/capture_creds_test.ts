/**
 * As root, for real: a process's groups and capabilities changed — setgroups (a list of six,
 * then none) and capset (what `setpriv --inh-caps=-all` and `capsh --drop` do) — are
 * `privilege` rows: setgroups with the count and the first groups, capset with the three sets
 * given, each as the program computed them.
 */
import assert from "node:assert/strict";
import { captureTest, captureWithLog } from "../tests/support/capture.ts";

/** setgroups twice, then capset (v3) dropping CAP_NET_RAW from effective and the inheritable
 * set; logs the sets it gave (argv: the log). */
const CREDS_PY = `
import ctypes, json, os, struct, sys
os.setgroups([65534, 100, 4, 5, 6, 7])
os.setgroups([])
libc = ctypes.CDLL(None, use_errno=True)
hdr = ctypes.create_string_buffer(struct.pack("<Ii", 0x20080522, 0), 8)
data = ctypes.create_string_buffer(24)
assert libc.syscall(125, hdr, data) == 0
e0, p0, i0, e1, p1, i1 = struct.unpack("<6I", data.raw)
e0 &= ~(1 << 13)
new = ctypes.create_string_buffer(struct.pack("<6I", e0, p0, 0, e1, p1, 0), 24)
assert libc.syscall(126, hdr, new) == 0
json.dump({"effective": e0 | e1 << 32, "permitted": p0 | p1 << 32}, open(sys.argv[1], "w"))
`;

captureTest(
  "setgroups and capset are privilege rows with the groups and the sets given",
  "sl-creds-",
  async (dir) => {
    await Deno.writeTextFile(`${dir}/creds.py`, CREDS_PY);
    await captureWithLog(["python3", `${dir}/creds.py`], async ({ rec, logPath }) => {
      const sets = JSON.parse(await Deno.readTextFile(logPath));
      const rows = rec.privilege.filter((p) => p.op === "setgroups" || p.op === "capset")
        .map((p) => ({ op: p.op, request: p.request, ids: p.ids, ret: p.ret, t: p.target_pid }));
      const hex = (v: number) => `0x${v.toString(16)}`;
      assert.deepEqual(rows, [
        { op: "setgroups", request: "6 groups", ids: ["65534", "100", "4", "5"], ret: 0n, t: null },
        { op: "setgroups", request: "0 groups", ids: [], ret: 0n, t: null },
        {
          op: "capset",
          request: `effective ${hex(sets.effective)} permitted ${hex(sets.permitted)} ` +
            "inheritable 0x0",
          ids: null,
          ret: 0n,
          t: null,
        },
      ]);
    });
  },
);
