/**
 * loopback_unseen.ts over small synthetic recordings: a connect to port 443 on loopback with
 * no LLM call and no TLS recorded is one cause, and makes one `blind` problem that names the
 * process, its files and what to do (not the loopback problem and the https_unrecorded one
 * both); a connect to 443 elsewhere by the same process is a cause of its own, still said.
 */
import assert from "node:assert/strict";
import { REC, rows, syntheticDb, type SyntheticRecording } from "./correlate/testing.ts";
import { Build } from "./build_steps.ts";
import { buildLinksAndFindings } from "./detect/mod.ts";
import { blindNetProblems } from "./loopback_unseen.ts";

/** The `net` problems the analysis says for `r` (bash's exec inspected: no TLS stack). */
async function netProblems(r: SyntheticRecording): Promise<string[]> {
  const { c, close } = await syntheticDb(r);
  try {
    const b = new Build(c, REC);
    await buildLinksAndFindings(c, {}, b);
    await blindNetProblems(c, b, REC, { hooked: [], not_hooked: [] });
    return b.problems.filter((p) => p.source === "net").map((p) => p.message);
  } finally {
    close();
  }
}

const tcp = (ts: number, pid: number, addr: string) => ({
  ...rows.connect(ts, pid, addr, 443),
  socktype: "stream",
});
const BASH = [
  rows.fork(1, 10, 1),
  {
    ...rows.exec(2, 10, 1, ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.3/443"]),
    filename: "/usr/bin/bash",
  },
];

Deno.test("a loopback connect to 443, no LLM call, no TLS: one problem naming the process, its files and what to do (names32 gap 4)", async () => {
  const said = await netProblems({
    process: BASH,
    file: [rows.open(3, 10, "/lib/x86_64-linux-gnu/libc.so.6")],
    net: [tcp(5, 10, "127.0.0.3")],
  });
  assert.equal(said.length, 1, JSON.stringify(said));
  const [message] = said;
  assert.match(
    message,
    /^no LLM call was recorded, but the traced processes connected to 127\.0\.0\.3:443 \(1× from pid 10 bash\) on this machine's loopback: /,
  );
  // what to do of either cause: capture the server, or report the file holding the TLS stack
  assert.match(message, /capture that server too \(--pid or --comm\)/);
  assert.ok(
    message.includes(
      "no TLS was recorded at all from pid 10 (ran /usr/bin/bash (no TLS stack found in it); " +
        "loaded only the system's libraries (1), none of them left unhooked); if so, the TLS " +
        "stack is in one of the files named: report it",
    ),
    message,
  );
});

Deno.test("the same process's connect to 443 off loopback is a cause of its own: said too", async () => {
  const said = await netProblems({
    process: BASH,
    net: [tcp(5, 10, "127.0.0.3"), tcp(6, 10, "140.82.112.21")],
  });
  assert.equal(said.length, 2, JSON.stringify(said));
  assert.match(said[0], /^no LLM call was recorded, but the traced processes connected to /);
  assert.match(
    said[1],
    /^no TLS was recorded from a traced process that opened HTTPS connections \(TCP port 443\): pid 10 bash \(2× to 127\.0\.0\.3:443 and 1 more address\(es\); /,
  );
});

Deno.test("with LLM calls recorded there is no loopback problem: the loopback connect to 443 is said by https_unrecorded", async () => {
  const said = await netProblems({
    process: [...BASH, rows.fork(1, 20, 1), rows.exec(2, 20, 1, ["/opt/agent"])],
    net: [tcp(5, 10, "127.0.0.3")],
    llm: [rows.llm(1, 20, 1000)],
  });
  assert.equal(said.length, 1, JSON.stringify(said));
  assert.match(
    said[0],
    /^no TLS was recorded from a traced process .*pid 10 bash \(1× to 127\.0\.0\.3:443; /,
  );
});

Deno.test("a process's loopback connect to 443 that the loopback problem credits to another process, or does not show, is still said by https_unrecorded (review32a M4)", async () => {
  const at = (ts: number, pid: number, addr: string, port: number) => ({
    ...rows.connect(ts, pid, addr, port),
    socktype: "stream",
  });
  const helper = [rows.fork(1, 20, 1), { ...rows.exec(2, 20, 1, ["/opt/helper"]) }];
  // pid 10 shown for another port; 127.0.0.3:443 shown as pid 20's, whose connect came first
  const credited = await netProblems({
    process: [...BASH, ...helper],
    net: [at(5, 10, "127.0.0.1", 8080), at(6, 20, "127.0.0.3", 443), at(7, 10, "127.0.0.3", 443)],
  });
  assert.equal(credited.length, 2, JSON.stringify(credited));
  assert.match(credited[0], /127\.0\.0\.3:443 \(2× from pid 20 helper\)/);
  assert.match(
    credited[1],
    /^no TLS was recorded from a traced process that opened HTTPS connections \(TCP port 443\): pid 10 bash \(1× to 127\.0\.0\.3:443; /,
  );
  // pid 10's 443 row is the sixth: the loopback problem shows five and says "and 1 more"
  const past = await netProblems({
    process: BASH,
    net: [
      ...[8081, 8082, 8083, 8084, 8085].map((port, k) => at(5 + k, 10, "127.0.0.1", port)),
      at(20, 10, "127.0.0.3", 443),
    ],
  });
  assert.equal(past.length, 2, JSON.stringify(past));
  assert.match(past[0], /127\.0\.0\.1:8085 \(1× from pid 10 bash\) and 1 more on this machine's/);
  assert.match(
    past[1],
    /^no TLS was recorded from a traced process .*: pid 10 bash \(1× to 127\.0\.0\.3:443; /,
  );
});

Deno.test("the loopback problem allows for connections that never got through, and for libraries it cannot name, as https_unrecorded did (review32a M4)", async () => {
  const said = await netProblems({
    process: BASH,
    // a non-blocking connect to a closed port: EINPROGRESS, then refused
    net: [{ ...tcp(5, 10, "127.0.0.3"), ret: -115 }],
  });
  assert.equal(said.length, 1, JSON.stringify(said));
  assert.ok(
    said[0].endsWith(
      "one inspected and judged to hold none; a library mapped before the capture joined a " +
        "process, or by its parent before a fork, is not recorded and cannot be named); or the " +
        "connections never got through (refused, or the server gone: then nothing is missing).",
    ),
    said[0],
  );
});
