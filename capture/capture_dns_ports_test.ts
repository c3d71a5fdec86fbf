/**
 * As root, for real: DNS questions sent to resolvers on ports other than 53 (a stub on 5353
 * by sendto, one on another port by a connected socket with an OPT record, one on [::1]:5300 by
 * sendmsg) are `net` rows of op `dns` with their names and ports; random datagrams and a DNS
 * response sent to the same ports are not.
 */
import assert from "node:assert/strict";
import { captureTest, captureWithLog } from "../tests/support/capture.ts";

/** Sends three questions and 300 random datagrams; logs the names asked (argv: the log). */
const DNS_PY = `
import json, os, socket, struct, sys
def q(name, opt=b""):
    hdr = struct.pack(">HHHHHH", 0x4d2, 0x0100, 1, 0, 0, 1 if opt else 0)
    return hdr + b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\\0" + struct.pack(">HH", 1, 1) + opt
OPT = struct.pack(">BHHIH", 0, 41, 1232, 0, 12) + struct.pack(">HH", 10, 8) + os.urandom(8)
names = ["sendto-5353.sightline.test", "connected.sightline.test", "sendmsg-v6.sightline.test"]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(q(names[0]), ("127.0.0.1", 5353))
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", 0))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.connect(r.getsockname())
c.send(q(names[1], OPT))
v6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
v6.sendmsg([q(names[2])], [], 0, ("::1", 5300))
for i in range(300):
    u.sendto(os.urandom(i % 500 + 1), ("127.0.0.1", 5353 if i % 2 else 5335))
    c.send(os.urandom(i % 500 + 1))
resp = bytearray(q("response.sightline.test")); resp[2] |= 0x80
u.sendto(bytes(resp), ("127.0.0.1", 5353))
json.dump({"names": names, "port": r.getsockname()[1]}, open(sys.argv[1], "w"))
`;

captureTest(
  "DNS questions to resolvers on other ports are recorded; random datagrams are not",
  "sl-dns-ports-",
  async (dir) => {
    await Deno.writeTextFile(`${dir}/dns.py`, DNS_PY);
    await captureWithLog(["python3", `${dir}/dns.py`], async ({ rec, logPath }) => {
      const { names, port } = JSON.parse(await Deno.readTextFile(logPath));
      const dns = rec.net.filter((n) => n.op === "dns")
        .map((n) => ({ qname: n.qname, qtype: n.qtype, addr: n.addr, port: n.port }));
      assert.deepEqual(dns, [
        { qname: names[0], qtype: "A", addr: "127.0.0.1", port: 5353 },
        { qname: names[1], qtype: "A", addr: "127.0.0.1", port },
        { qname: names[2], qtype: "A", addr: "::1", port: 5300 },
      ]);
    });
  },
);
