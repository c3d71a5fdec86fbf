/**
 * As root, for real: DNS questions sent to resolvers on ports other than 53 (a stub on 5353
 * by sendto, one on another port by a connected socket with an OPT record, one on [::1]:5300 by
 * sendmsg) are `net` rows of op `dns` with their names and ports. Not rows: the datagrams of
 * the protocols that share UDP with DNS (QUIC, STUN, WireGuard, NTP, an mDNS response; hand-built
 * from their specifications, tests/support/dns_datagrams.ts) sent to the same ports; a query
 * followed by more bytes in a second iovec of one sendmsg (the datagram is not the query);
 * a query sent on a socketpair whose fd a closed connected UDP socket had (its entry gone at the
 * close). Queries one detail off (a byte more, QTYPE 0, TSIG), which the kernel side passes on
 * and the strict parse refuses, are not rows either, and are counted in a manifest warning.
 */
import assert from "node:assert/strict";
import { captureTest, captureWithLog } from "../tests/support/capture.ts";
import { otherProtocols, refusedQueries } from "../tests/support/dns_datagrams.ts";
import { toHex } from "../protocols/testing.ts";

/** Sends the questions and the datagrams of `argv[1]`; logs what it did (argv[2]: the log). */
const DNS_PY = `
import json, os, socket, struct, sys
def q(name, opt=b""):
    hdr = struct.pack(">HHHHHH", 0x4d2, 0x0100, 1, 0, 0, 1 if opt else 0)
    return hdr + b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\\0" + struct.pack(">HH", 1, 1) + opt
OPT = struct.pack(">BHHIH", 0, 41, 1232, 0, 12) + struct.pack(">HH", 10, 8) + os.urandom(8)
sent = json.load(open(sys.argv[1]))
names = ["sendto-5353.sightline.test", "connected.sightline.test", "sendmsg-v6.sightline.test"]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(q(names[0]), ("127.0.0.1", 5353))
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", 0))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.connect(r.getsockname())
c.send(q(names[1], OPT))
v6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
v6.sendmsg([q(names[2])], [], 0, ("::1", 5300))
for hexed in sent["other"]:
    d = bytes.fromhex(hexed)
    u.sendto(d, ("127.0.0.1", 5353)); u.sendto(d, ("127.0.0.1", 5335)); c.send(d)
for hexed in sent["refused"]:
    u.sendto(bytes.fromhex(hexed), ("127.0.0.1", 5353))
# a query and a payload in two iovecs: one datagram that is not the query
u.sendmsg([q("two-iovecs.sightline.test"), b"payload after the question"], [], 0, ("127.0.0.1", 5353))
# the connected socket closed, its fd reused by a socketpair
old = c.fileno(); c.close()
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
reused = a.fileno() == old
a.send(q("stale-fd.sightline.test"))
json.dump({"names": names, "port": r.getsockname()[1], "reused": reused}, open(sys.argv[2], "w"))
`;

captureTest(
  "DNS questions to resolvers on other ports are recorded; other datagrams are not",
  "sl-dns-ports-",
  async (dir) => {
    await Deno.writeTextFile(`${dir}/dns.py`, DNS_PY);
    const refused = Object.values(refusedQueries());
    await Deno.writeTextFile(
      `${dir}/sent.json`,
      JSON.stringify({
        other: Object.values(otherProtocols()).map(toHex),
        refused: refused.map(toHex),
      }),
    );
    await captureWithLog(
      ["python3", `${dir}/dns.py`, `${dir}/sent.json`],
      async ({ res, rec, logPath }) => {
        const { names, port, reused } = JSON.parse(await Deno.readTextFile(logPath));
        assert.ok(reused, "the socketpair got the closed socket's fd (else the case is not made)");
        const dns = rec.net.filter((n) => n.op === "dns")
          .map((n) => ({ qname: n.qname, qtype: n.qtype, addr: n.addr, port: n.port }));
        assert.deepEqual(dns, [
          { qname: names[0], qtype: "A", addr: "127.0.0.1", port: 5353 },
          { qname: names[1], qtype: "A", addr: "127.0.0.1", port },
          { qname: names[2], qtype: "A", addr: "::1", port: 5300 },
        ]);
        const said = res.manifest.warnings.filter((w) => w.startsWith("dns: "));
        assert.equal(said.length, 1, JSON.stringify(res.manifest.warnings));
        assert.match(said[0], new RegExp(`^dns: ${refused.length} datagrams to UDP ports`));
      },
    );
  },
);
