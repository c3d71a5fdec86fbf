/**
 * Rows from kernel records, without eBPF: the records are built as the kernel side lays them
 * out (bpf/sightline.bpf.c priv_exit, sl_dns_send). setgroups keeps its first GROUPS_KEPT
 * groups and says how many the list had; capset's sets read from a v1 header (32-bit) and a v3
 * one (64-bit); unreadable arguments are said, not shown as zeros; a datagram to a port other
 * than 53 that is not exactly one DNS query gives no row (the caller counts it), while one to
 * port 53 always does.
 */
import assert from "node:assert/strict";
import { dnsRow, privilegeRow } from "./rows.ts";
import { Flag, GROUPS_KEPT, Kind, type SlEvent } from "./events.ts";
import { query } from "../tests/support/dns_datagrams.ts";

const clock = (t: bigint) => t;
const head = { hflags: 0, pid: 10, tid: 10, uid: 0, ts: 5n };

type Priv = SlEvent & { kind: 12 };
const priv = (p: Partial<Priv> & { op: string }): Priv => ({
  kind: Kind.PRIV as 12,
  ...head,
  ret: 0n,
  a1: 0n,
  a2: 0n,
  a3: 0n,
  target: -1,
  ns: 0,
  ...p,
});

/** Two 32-bit ids in one argument, the first in the low half (as priv_exit packs them). */
const pair = (lo: number, hi: number) => BigInt(lo >>> 0) | (BigInt(hi >>> 0) << 32n);

Deno.test("setgroups: how many groups, and the first GROUPS_KEPT of them", () => {
  const groups = [4, 24, 27, -1, 100, 200];
  const row = privilegeRow(
    priv({
      op: "setgroups",
      a1: BigInt(groups.length),
      a2: pair(groups[0], groups[1]),
      a3: pair(groups[2], groups[3]),
    }),
    clock,
  );
  assert.equal(row.request, `${groups.length} groups`);
  assert.deepEqual(row.ids, groups.slice(0, GROUPS_KEPT).map(String), "gid -1 shown as -1");
  const one = privilegeRow(priv({ op: "setgroups", a1: 1n, a2: pair(1000, 0) }), clock);
  assert.equal(one.request, "1 group");
  assert.deepEqual(one.ids, ["1000"]);
  const none = privilegeRow(priv({ op: "setgroups" }), clock);
  assert.equal(none.request, "0 groups");
  assert.deepEqual(none.ids, []);
  const fault = privilegeRow(
    priv({ op: "setgroups", hflags: Flag.FAULT, a1: 3n, ret: -14n }),
    clock,
  );
  assert.equal(fault.request, "groups unreadable");
  assert.equal(fault.ids, null, "no ids shown for a list that could not be read");
  assert.equal(fault.ret, -14n);
});

Deno.test("capset: the three sets, 32-bit (v1) and 64-bit (v3), and unreadable ones", () => {
  // v1: the low 32 bits alone (the kernel side read one struct); CAP_NET_RAW 13, CAP_SYS_ADMIN 21
  const v1 = privilegeRow(
    priv({ op: "capset", a1: 1n << 21n, a2: (1n << 21n) | (1n << 13n), a3: 0n }),
    clock,
  );
  assert.equal(v1.request, "effective 0x200000 permitted 0x202000 inheritable 0x0");
  assert.equal(v1.target_pid, null, "header pid 0: the caller");
  // v3: CAP_BPF 39 and CAP_PERFMON 38 are in the high halves
  const v3 = privilegeRow(
    priv({ op: "capset", a1: 1n << 39n, a2: (1n << 39n) | (1n << 38n), a3: 1n << 38n, target: 42 }),
    clock,
  );
  assert.equal(
    v3.request,
    "effective 0x8000000000 permitted 0xc000000000 inheritable 0x4000000000",
  );
  assert.equal(v3.target_pid, 42);
  assert.equal(v3.ids, null);
  const fault = privilegeRow(priv({ op: "capset", hflags: Flag.FAULT, ret: -14n }), clock);
  assert.equal(fault.request, "sets unreadable");
});

type Dns = SlEvent & { kind: 6 };
const dns = (port: number, data: Uint8Array): Dns => ({
  kind: Kind.DNS as 6,
  ...head,
  fd: 3,
  family: 2,
  port,
  sotype: 2,
  dir: 0,
  netNs: 0,
  addr: new Uint8Array([127, 0, 0, 1, ...new Array(12).fill(0)]),
  data,
});

Deno.test("dns: another port's datagram is a row only when it is exactly one query", () => {
  const q = query("api.sightline.test", 28);
  assert.deepEqual(
    [dnsRow(dns(5353, q), clock)].map((r) => r && { qname: r.qname, qtype: r.qtype, port: r.port }),
    [{ qname: "api.sightline.test", qtype: "AAAA", port: 5353 }],
  );
  assert.equal(dnsRow(dns(5353, new Uint8Array([...q, 0])), clock), null, "a byte more");
  assert.equal(dnsRow(dns(5353, query("api.sightline.test", 0)), clock), null, "QTYPE 0");
  // port 53: what is sent there is recorded whatever it holds (the question when it parses)
  const odd = dnsRow(dns(53, new Uint8Array([...q, 0])), clock);
  assert.ok(odd, "port 53: a row");
  assert.equal(odd.op, "dns");
});
