/**
 * As root, for real: the answers to DNS questions are `net` rows of op `dns_answer`, each with
 * the question it answers, its rcode and its A, AAAA and CNAME records, however the resolver
 * reads them: glibc's (`getent ahosts` against a responder on 127.0.0.1:53, named in a
 * resolv.conf bound over /etc/resolv.conf in a mount namespace of its own: A and AAAA sent
 * together by sendmmsg, read by recvfrom; an NXDOMAIN; with `options use-vc`, over TCP: both
 * questions in one writev of four iovecs, each length and answer read on its own), and python3's sockets as other
 * resolvers use them: a connected UDP socket by send and recv, recvmsg or readv; one by write(2) and read(2)
 * (Go's resolver: the question, too, is a row only since writes on connected UDP sockets are
 * read); an unconnected one by sendto and recvfrom (musl's); TCP with the length in a read of
 * its own; Go's own resolver (write(2) and read(2) on connected UDP sockets). The responder
 * runs outside the capture. A datagram on the same socket with another
 * id is not an answer; an answer peeked at (MSG_PEEK, by recv and recvmsg) and then read is
 * one row; a header-shaped answer read from a pipe dup2'd over the fd a question went by (its
 * socket closed unseen) is not an answer.
 */
import assert from "node:assert/strict";
import { captureTest, captureWithLog } from "../tests/support/capture.ts";
import { buildGo, goTool } from "../tests/support/go.ts";

/** Go's own resolver (PreferGo), asking 127.0.0.1:53 for argv[1]: A and AAAA in parallel, each
 * on a connected UDP socket of its own, written with write(2) and read with read(2). */
const GO_RESOLVER = `package main

import (
	"context"
	"fmt"
	"net"
	"os"
)

func main() {
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, "127.0.0.1:53")
	}}
	addrs, err := r.LookupHost(context.Background(), os.Args[1])
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println(addrs)
}
`;

/** A responder on 127.0.0.1:53 (UDP and TCP) and on a UDP port of its own (written to
 * argv[1]): A questions get a CNAME to edge.NAME and an A 192.0.2.7, AAAA ones an AAAA
 * 2001:db8::7; gone.sightline.test is NXDOMAIN. Serves until killed. */
const RESPONDER_PY = `
import socket, struct, sys, threading
def answer(q):
    i, o = 12, 12
    labels = []
    while q[o]:
        labels.append(q[o + 1:o + 1 + q[o]].decode()); o += 1 + q[o]
    name, qtype = ".".join(labels), struct.unpack(">H", q[o + 1:o + 3])[0]
    question = q[12:o + 5]
    rrs = b""
    n = 0
    if name == "gone.sightline.test":
        rcode = 3
    else:
        rcode = 0
        if qtype == 1:
            target = b"".join(bytes([len(p)]) + p.encode() for p in ("edge." + name).split(".")) + b"\\0"
            rrs += b"\\xc0\\x0c" + struct.pack(">HHIH", 5, 1, 60, len(target)) + target
            rrs += struct.pack(">BB", 0xc0, 12 + len(question) + 12) + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 7])
            n = 2
        elif qtype == 28:
            rrs += b"\\xc0\\x0c" + struct.pack(">HHIH", 28, 1, 60, 16) + bytes.fromhex("20010db8000000000000000000000007")
            n = 1
    return q[:2] + struct.pack(">BBHHHH", 0x81, 0x80 | rcode, 1, n, 0, 0) + question + rrs
def udp(s):
    while True:
        q, peer = s.recvfrom(2048)
        s.sendto(answer(q), peer)
def exactly(c, n):
    b = b""
    while len(b) < n:
        more = c.recv(n - len(b))
        if not more: return None
        b += more
    return b
def conn(c):
    while True:
        n = exactly(c, 2)
        q = n and exactly(c, struct.unpack(">H", n)[0])
        if not q: break
        a = answer(q)
        c.sendall(struct.pack(">H", len(a)) + a)
    c.close()
def tcp(l):
    while True:
        c, _ = l.accept()
        threading.Thread(target=conn, args=(c,), daemon=True).start()
u53 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u53.bind(("127.0.0.1", 53))
uo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); uo.bind(("127.0.0.1", 0))
t53 = socket.socket(); t53.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t53.bind(("127.0.0.1", 53)); t53.listen()
for f, a in ((udp, u53), (udp, uo), (tcp, t53)):
    threading.Thread(target=f, args=(a,), daemon=True).start()
open(sys.argv[1], "w").write(str(uo.getsockname()[1]))
threading.Event().wait()
`;

/** The clients, under the capture (argv[1]: the responder's own port; argv[2]: the log). */
const CLIENT_PY = `
import json, os, socket, struct, sys
port = int(sys.argv[1])
def q(name, qtype=1, qid=0x1234):
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\\0" + struct.pack(">HH", qtype, 1)
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.connect(("127.0.0.1", 53))
c.send(q("connected-send.sightline.test")); c.recv(2048)
c.send(q("recvmsg.sightline.test", 1, 0x1237)); c.recvmsg(2048)
c.send(q("readv.sightline.test", 28, 0x1238)); os.readv(c.fileno(), [bytearray(2048)])
w = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); w.connect(("127.0.0.1", port))
os.write(w.fileno(), q("write-read.sightline.test", 28, 0x2345)); os.read(w.fileno(), 2048)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(q("sendto.sightline.test", 1, 0x3456), ("127.0.0.1", port)); u.recvfrom(2048)
# the same socket: a question's answer read back with another id is not an answer
u.sendto(q("other-id.sightline.test", 1, 0x4567), ("127.0.0.1", port))
a = bytearray(u.recvfrom(2048)[0]); a[0:2] = b"\\x99\\x99"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
s.sendto(bytes(a), u.getsockname()); u.recvfrom(2048)
t = socket.create_connection(("127.0.0.1", 53))
m = q("tcp.sightline.test", 1, 0x5678); t.sendall(struct.pack(">H", len(m)) + m)
n = struct.unpack(">H", t.recv(2))[0]; t.recv(n)
# peeked at twice (recvfrom, recvmsg), then read: one answer
c.send(q("peek.sightline.test", 1, 0x1236))
c.recv(2048, socket.MSG_PEEK); c.recvmsg(2048, 0, socket.MSG_PEEK); c.recv(2048)
# the fd a question went by, now a pipe's (dup2 closes the socket): what it reads is no answer
x = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); x.connect(("127.0.0.1", 53))
x.send(q("reused.sightline.test", 1, 0x6789))
fake = bytearray(q("reused.sightline.test", 1, 0x6789)); fake[2:4] = b"\\x81\\x80"
r, wp = os.pipe(); os.write(wp, bytes(fake)); os.dup2(r, x.fileno())
assert os.read(x.fileno(), 2048) == bytes(fake)
json.dump({"ok": True}, open(sys.argv[2], "w"))
`;

captureTest(
  "DNS answers are dns_answer rows with their question, rcode and records",
  "sl-dns-answers-",
  async (dir) => {
    await Deno.writeTextFile(`${dir}/responder.py`, RESPONDER_PY);
    await Deno.writeTextFile(`${dir}/client.py`, CLIENT_PY);
    await Deno.writeTextFile(`${dir}/resolv.conf`, "nameserver 127.0.0.1\n");
    await Deno.writeTextFile(`${dir}/resolv-vc.conf`, "nameserver 127.0.0.1\noptions use-vc\n");
    const go = await goTool();
    assert.ok(go, "the go tool (golang-go)");
    await Deno.mkdir(`${dir}/go`);
    const goClient = await buildGo(go, GO_RESOLVER, `${dir}/go`);
    await Deno.writeTextFile(
      `${dir}/run.sh`,
      `set -u
python3 "${dir}/client.py" "$1" "$2"
"${goClient}" go.sightline.test
unshare -m sh -c 'mount --bind "${dir}/resolv.conf" /etc/resolv.conf &&
  getent ahosts glibc.sightline.test > "${dir}/glibc.out"; getent ahosts gone.sightline.test;
  test $? = 2'
unshare -m sh -c 'mount --bind "${dir}/resolv-vc.conf" /etc/resolv.conf &&
  getent ahosts vc.sightline.test > "${dir}/vc.out"'
`,
    );
    const responder = new Deno.Command("python3", {
      args: [`${dir}/responder.py`, `${dir}/port`],
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    try {
      let port = "";
      while (!port) {
        await new Promise((r) => setTimeout(r, 50));
        port = await Deno.readTextFile(`${dir}/port`).catch(() => "");
      }
      await captureWithLog(["sh", `${dir}/run.sh`, port], async ({ rec }) => {
        const glibc = await Deno.readTextFile(`${dir}/glibc.out`);
        assert.match(glibc, /^192\.0\.2\.7 /m, "getent got the responder's answer");
        const vc = await Deno.readTextFile(`${dir}/vc.out`);
        assert.match(vc, /^2001:db8::7 /m, "getent over TCP (use-vc) got both answers");
        assert.match(vc, /^192\.0\.2\.7 /m, "getent over TCP (use-vc) got both answers");
        const p = Number(port);
        const asked = rec.net.filter((n) => n.op === "dns").map((n) => `${n.qname} ${n.qtype}`);
        for (
          const q of [
            "write-read.sightline.test AAAA",
            "go.sightline.test A",
            "vc.sightline.test A",
            "vc.sightline.test AAAA",
          ]
        ) {
          assert.ok(asked.includes(q), `${q} asked: ${asked.join(", ")}`);
        }
        const answers = rec.net.filter((n) => n.op === "dns_answer")
          .map((n) => ({
            q: `${n.qname} ${n.qtype}`,
            rcode: n.rcode,
            answers: n.answers,
            to: `${n.addr}:${n.port}/${n.socktype}`,
          }))
          .sort((a, b) => a.q < b.q ? -1 : 1);
        const chain = (name: string) => [`CNAME edge.${name}`, "A 192.0.2.7"];
        assert.deepEqual(answers, [
          {
            q: "connected-send.sightline.test A",
            rcode: "NOERROR",
            answers: chain("connected-send.sightline.test"),
            to: "127.0.0.1:53/dgram",
          },
          {
            q: "glibc.sightline.test A",
            rcode: "NOERROR",
            answers: chain("glibc.sightline.test"),
            to: "127.0.0.1:53/dgram",
          },
          {
            q: "glibc.sightline.test AAAA",
            rcode: "NOERROR",
            answers: ["AAAA 2001:db8::7"],
            to: "127.0.0.1:53/dgram",
          },
          {
            q: "go.sightline.test A",
            rcode: "NOERROR",
            answers: chain("go.sightline.test"),
            to: "127.0.0.1:53/dgram",
          },
          {
            q: "go.sightline.test AAAA",
            rcode: "NOERROR",
            answers: ["AAAA 2001:db8::7"],
            to: "127.0.0.1:53/dgram",
          },
          { q: "gone.sightline.test A", rcode: "NXDOMAIN", answers: [], to: "127.0.0.1:53/dgram" },
          {
            q: "gone.sightline.test AAAA",
            rcode: "NXDOMAIN",
            answers: [],
            to: "127.0.0.1:53/dgram",
          },
          {
            q: "other-id.sightline.test A",
            rcode: "NOERROR",
            answers: chain("other-id.sightline.test"),
            to: `127.0.0.1:${p}/dgram`,
          },
          {
            q: "peek.sightline.test A",
            rcode: "NOERROR",
            answers: chain("peek.sightline.test"),
            to: "127.0.0.1:53/dgram",
          },
          {
            q: "readv.sightline.test AAAA",
            rcode: "NOERROR",
            answers: ["AAAA 2001:db8::7"],
            to: "127.0.0.1:53/dgram",
          },
          {
            q: "recvmsg.sightline.test A",
            rcode: "NOERROR",
            answers: chain("recvmsg.sightline.test"),
            to: "127.0.0.1:53/dgram",
          },
          {
            q: "sendto.sightline.test A",
            rcode: "NOERROR",
            answers: chain("sendto.sightline.test"),
            to: `127.0.0.1:${p}/dgram`,
          },
          {
            q: "tcp.sightline.test A",
            rcode: "NOERROR",
            answers: chain("tcp.sightline.test"),
            to: "127.0.0.1:53/stream",
          },
          {
            q: "vc.sightline.test A",
            rcode: "NOERROR",
            answers: chain("vc.sightline.test"),
            to: "127.0.0.1:53/stream",
          },
          {
            q: "vc.sightline.test AAAA",
            rcode: "NOERROR",
            answers: ["AAAA 2001:db8::7"],
            to: "127.0.0.1:53/stream",
          },
          {
            q: "write-read.sightline.test AAAA",
            rcode: "NOERROR",
            answers: ["AAAA 2001:db8::7"],
            to: `127.0.0.1:${p}/dgram`,
          },
        ]);
      });
    } finally {
      responder.kill();
      await responder.status;
    }
  },
);
