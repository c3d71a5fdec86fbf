/** The `capture -- true` benchmark's readers of the phase and verifier lines both sides print. */
import assert from "node:assert/strict";
import { median, parsePhaseCpu, parsePhases, parseVerifier } from "./lifetime.ts";

Deno.test("the phase lines of both sides are read, the first of each kept", () => {
  const stderr = [
    "sightline:      28.3 ms main",
    "sightline-loader:      41.5 ms start",
    "libbpf: something else",
    "sightline-loader:     212.2 ms command released",
    "sightline:     213.0 ms command released (cpu 80.1 ms: deno 70.0, V8 DefaultWorke 10.1)",
    "sightline-loader:     300.0 ms command released",
    "sightline:     310.5 ms exit (cpu 87.6 ms)",
  ].join("\n");
  assert.deepEqual(parsePhases(stderr), {
    "sightline: main": 28.3,
    "sightline-loader: start": 41.5,
    "sightline-loader: command released": 212.2,
    "sightline: command released": 213.0,
    "sightline: exit": 310.5,
  });
  assert.deepEqual(parsePhaseCpu(stderr), {
    "sightline: command released": 80.1,
    "sightline: exit": 87.6,
  });
});

Deno.test("the verifier statistics are read per part and program", () => {
  const stderr = [
    "sightline-loader:      54.1 ms maps created",
    "sightline-loader: verifier: kernel sl_fork: verification time 3560 usec",
    "stack depth 56",
    "processed 106 insns (limit 1000000) max_states_per_insn 0 total_states 8 peak_states 8 " +
    "mark_read 0",
    "sightline-loader: verifier: tls sl_ssl_write_entry: verification time 77 usec",
    "processed 46 insns (limit 1000000) max_states_per_insn 0 total_states 3 peak_states 3",
    "sightline-loader: verifier: tls sl_broken: verification time 5 usec",
    "no statistics",
  ].join("\n");
  assert.deepEqual(parseVerifier(stderr), [
    { part: "kernel", program: "sl_fork", us: 3560, insns: 106 },
    { part: "tls", program: "sl_ssl_write_entry", us: 77, insns: 46 },
  ]);
});

Deno.test("median of odd and even counts", () => {
  assert.deepEqual(median([3, 1, 2]), 2);
  assert.deepEqual(median([4, 1, 3, 2]), 2.5);
});
