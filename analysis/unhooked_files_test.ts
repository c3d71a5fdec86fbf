/**
 * unhooked_files.ts: the attach section's files by path (a path named through `/lib` found as
 * listed under `/usr/lib`), which libraries a process opened are named (the unhooked ones, an
 * application's own, not the system's), and when a process's files were said already; on a
 * real recording of a TLS stack the capture missed (tests/fixtures/copilot_unhooked), the
 * problem names it.
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { analysedCopy } from "./testing.ts";
import {
  attachStates,
  describeFiles,
  javaVm,
  LIBS_NAMED,
  saidAlready,
  stateOf,
  systemLibrary,
} from "./unhooked_files.ts";

/** As a manifest's attach section lists them (GitHub Copilot CLI's run, NSS unsupported). */
const ATTACH = {
  hooked: [
    { path: "/usr/bin/node", status: "hooked", library: "openssl", probes: [] },
    { path: "/usr/lib/x86_64-linux-gnu/libssl.so.3", status: "hooked", probes: [] },
  ],
  not_hooked: [
    {
      path: "/usr/lib/x86_64-linux-gnu/libnss3.so",
      status: "unsupported",
      reason: "NSS is not hooked (PR_Write/PR_Read have no probes yet)",
      probes: [],
    },
    { path: "/opt/app/libtls_own.so", status: "error", reason: "no probe attached", probes: [] },
    { bad: "entry" },
  ],
  unresolved: [],
};

Deno.test("attachStates: hooked and not hooked files by path; malformed sections are empty", () => {
  const s = attachStates(ATTACH);
  assert.equal(s.size, 4);
  assert.deepEqual(s.get("/usr/bin/node"), { status: "hooked" });
  assert.deepEqual(stateOf(s, "/lib/x86_64-linux-gnu/libnss3.so"), {
    status: "unsupported",
    reason: "NSS is not hooked (PR_Write/PR_Read have no probes yet)",
  });
  // not listed: judged to hold no TLS of its own
  assert.equal(stateOf(s, "/lib/x86_64-linux-gnu/libc.so.6"), null);
  for (const bad of [null, undefined, 3, "x", [], { hooked: "no" }]) {
    assert.equal(attachStates(bad).size, 0, JSON.stringify(bad));
  }
  // two listed files of one base name: a third path of that name is neither
  const two = attachStates({
    hooked: [{ path: "/a/libx.so", status: "hooked" }, { path: "/b/libx.so", status: "hooked" }],
  });
  assert.equal(stateOf(two, "/c/libx.so"), null);
});

Deno.test("systemLibrary: the dynamic loader's default directories, not an application's", () => {
  for (
    const p of [
      "/lib/x86_64-linux-gnu/libc.so.6",
      "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
      "/usr/lib64/libz.so.1",
      "/lib/libdl.so.2",
      "/usr/lib/aarch64-linux-gnu/libssl.so.3",
    ]
  ) assert.ok(systemLibrary(p), p);
  for (
    const p of [
      "/home/u/.cache/copilot/pkg/linux-x64/1.0.102/prebuilds/linux-x64/runtime.node",
      "/usr/lib/node_modules/@github/copilot/prebuilds/linux-x64/runtime.node",
      "/usr/lib/python3/dist-packages/grpc/_cython/cygrpc.cpython-311-x86_64-linux-gnu.so",
      "/usr/local/lib/libfoo.so",
      "/opt/app/lib/libtls_own.so",
    ]
  ) assert.ok(!systemLibrary(p), p);
});

Deno.test("describeFiles: the executable's state, the unhooked and the application's libraries", () => {
  const s = attachStates(ATTACH);
  const addon = "/h/.cache/copilot/pkg/linux-x64/1.0.102/prebuilds/linux-x64/runtime.node";
  assert.equal(
    describeFiles(s, "/usr/bin/node", [
      "/lib/x86_64-linux-gnu/libc.so.6",
      addon,
      "/lib/x86_64-linux-gnu/libssl.so.3",
      "/lib/x86_64-linux-gnu/libnss3.so",
    ]),
    "ran /usr/bin/node (hooked); loaded " +
      "/lib/x86_64-linux-gnu/libnss3.so (not hooked: NSS is not hooked (PR_Write/PR_Read have " +
      `no probes yet)), ${addon} (no TLS stack found in it)`,
  );
  assert.equal(
    describeFiles(s, "/usr/bin/bash", ["/lib/x86_64-linux-gnu/libc.so.6"]),
    "ran /usr/bin/bash (no TLS stack found in it); loaded only the system's libraries (1), " +
      "none of them left unhooked",
  );
  assert.equal(
    describeFiles(s, null, null),
    "its executable is not recorded; no library it opened is recorded",
  );
  const many = Array.from({ length: LIBS_NAMED + 2 }, (_, i) => `/opt/a/lib${i}.so`);
  assert.match(describeFiles(s, "/opt/a/a", many), / and 2 more$/);
});

Deno.test("saidAlready: a listed file a capture problem names", () => {
  const s = attachStates(ATTACH);
  const warned = [{
    source: "capture",
    message: "warning: TLS plaintext not recorded where probes failed to attach: " +
      "/opt/app/libtls_own.so: no probe attached (manifest.json attach.not_hooked)",
  }];
  assert.ok(saidAlready(s, ["/opt/app/app", "/opt/app/libtls_own.so"], warned));
  assert.ok(!saidAlready(s, ["/opt/app/app", "/lib/x86_64-linux-gnu/libnss3.so"], warned));
  // named by another source (not the capture's): not said
  assert.ok(!saidAlready(s, ["/opt/app/libtls_own.so"], [{ ...warned[0], source: "net" }]));
});

/**
 * The one problem of a committed real recording (tests/fixtures/`fixture`) analysed in a copy,
 * checked against `head` (whose first group is the pid it names), and that pid.
 */
async function onlyLoopbackProblem(fixture: string, head: RegExp) {
  const s = await analysedCopy(
    filePath(`../tests/fixtures/${fixture}`, import.meta.url),
    { prefix: "sl-unhooked-" },
  );
  try {
    assert.equal(s.problems.length, 1, s.problems.join("\n"));
    const [problem] = s.problems;
    const m = head.exec(problem);
    assert.ok(m, `${problem} does not match ${head}`);
    return { problem, pid: m[1] };
  } finally {
    await Deno.remove(dirname(s.dir), { recursive: true });
  }
}

Deno.test("a real recording of a TLS stack the capture missed (Copilot's runtime.node): the blind problem names the addon", async () => {
  const { problem, pid } = await onlyLoopbackProblem(
    "copilot_unhooked",
    /^net: no LLM call was recorded, but the traced processes connected to 127\.0\.0\.1:18443 \(1× from pid (\d+) MainThread\) on this machine's loopback: /,
  );
  // the process's executable (hooked: node's OpenSSL in it, which its HTTPS did not go
  // through: its hooks saw nothing) and the addons it loaded by dlopen, runtime.node among
  // them (judged to hold no TLS: absent from the attach section)
  assert.ok(
    problem.includes(
      `no TLS was recorded at all from pid ${pid} (ran /tmp/probe30/copilot/node_modules/` +
        "@github/copilot-linux-x64/copilot (hooked, but no TLS data went through its hooks " +
        "(SSL_write, SSL_read, SSL_write_ex, SSL_read_ex): they are not where its TLS runs, " +
        "or its TLS went through other code); loaded ",
    ),
    problem,
  );
  assert.match(
    problem,
    /\/prebuilds\/linux-x64\/runtime\.node \(no TLS stack found in it\)/,
  );
  assert.match(problem, /report it, naming the file/);
});

Deno.test("javaVm: a Java VM by its libjvm.so, opened or run", () => {
  assert.ok(javaVm("/usr/bin/java", ["/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so"]));
  assert.ok(javaVm("/opt/jdk/lib/server/libjvm.so", null));
  assert.ok(!javaVm("/usr/bin/java", null));
  assert.ok(!javaVm("/usr/bin/node", ["/opt/x/libjvm.so.bak", "/opt/x/notlibjvm.so"]));
  assert.match(
    describeFiles(attachStates({ hooked: [], not_hooked: [] }), "/usr/bin/java", [
      "/opt/jdk/lib/server/libjvm.so",
    ]),
    /^a Java VM: its TLS is Java's own \(JSSE\).*; ran \/usr\/bin\/java \(no TLS stack found in it\); loaded \/opt\/jdk\/lib\/server\/libjvm\.so/,
  );
});

Deno.test("a real recording of Java's TLS (JSSE) to a loopback server: the blind problem says it cannot be recorded", async () => {
  const { problem, pid } = await onlyLoopbackProblem(
    "java_loopback",
    /^net: no LLM call was recorded, but the traced processes connected to 127\.0\.0\.1:8443 \(1× from pid (\d+) java\) on this machine's loopback: /,
  );
  assert.ok(
    problem.includes(
      `no TLS was recorded at all from pid ${pid} (a Java VM: its TLS is Java's own (JSSE), ` +
        "bytecode compiled at run time that the capture cannot hook, so its HTTPS cannot be " +
        "recorded; ran /usr/lib/jvm/java-17-openjdk-amd64/bin/java (no TLS stack found in it); loaded ",
    ),
    problem,
  );
  assert.match(
    problem,
    /if so, its HTTPS went through Java's TLS, which the capture cannot record\); or the connections never got through \(refused, or the server gone: then nothing is missing\)\.$/,
  );
  assert.doesNotMatch(problem, /report it/);
});

Deno.test("attach states by whole path (review31a S1): a file of the same base name elsewhere is not the listed one; only /lib and /bin are /usr's", () => {
  const s = attachStates(ATTACH);
  // an agent's own bundled libssl is not the system's hooked one: named, as not listed
  assert.equal(stateOf(s, "/opt/agent/lib/libssl.so.3"), null);
  assert.equal(
    describeFiles(s, "/opt/agent/bin/agent", ["/opt/agent/lib/libssl.so.3"]),
    "ran /opt/agent/bin/agent (no TLS stack found in it); loaded /opt/agent/lib/libssl.so.3 " +
      "(no TLS stack found in it)",
  );
  // another node is not /usr/bin/node
  assert.equal(stateOf(s, "/opt/node-v22/bin/node"), null);
  // the merged-/usr aliases are the same file
  assert.deepEqual(stateOf(s, "/bin/node"), { status: "hooked" });
  assert.deepEqual(stateOf(s, "/lib/x86_64-linux-gnu/libssl.so.3"), { status: "hooked" });
  // a capture warning about /usr/bin/node's probes says nothing of ~/.nvm's node, nor of node22
  const warned = [{
    source: "capture",
    message: "warning: TLS plaintext not recorded where probes failed to attach: " +
      "/usr/bin/node: uprobe failed (manifest.json attach.not_hooked)",
  }];
  const failed = attachStates({
    not_hooked: [{ path: "/usr/bin/node", status: "error", reason: "uprobe failed" }],
  });
  assert.ok(saidAlready(failed, ["/usr/bin/node"], warned));
  assert.ok(saidAlready(failed, ["/bin/node"], warned));
  assert.ok(!saidAlready(failed, ["/home/u/.nvm/versions/node/v22.1.0/bin/node"], warned));
  const node22 = attachStates({
    not_hooked: [{ path: "/usr/bin/node", status: "error", reason: "x" }],
  });
  assert.ok(
    !saidAlready(node22, ["/usr/bin/node"], [{
      source: "capture",
      message: "warning: probes failed to attach: /usr/bin/node22: x",
    }]),
  );
});

Deno.test("runtime-owned library directories are not the application's (review31a S2): Python's lib-dynload, gconv, sasl2", () => {
  for (
    const p of [
      "/usr/lib/python3.11/lib-dynload/zlib.cpython-311-x86_64-linux-gnu.so",
      "/home/u/.pyenv/versions/3.11.9/lib/python3.11/lib-dynload/_bz2.cpython-311-x86_64-linux-gnu.so",
      "/usr/lib/x86_64-linux-gnu/gconv/UTF-16.so",
      "/usr/lib/x86_64-linux-gnu/sasl2/libplain.so.2",
    ]
  ) assert.ok(systemLibrary(p), p);
  const s = attachStates(ATTACH);
  const dynload = Array.from(
    { length: 5 },
    (_, i) => `/usr/lib/python3.11/lib-dynload/m${i}.cpython-311-x86_64-linux-gnu.so`,
  );
  const grpc =
    "/venv/lib/python3.11/site-packages/grpc/_cython/cygrpc.cpython-311-x86_64-linux-gnu.so";
  assert.match(
    describeFiles(s, "/usr/bin/python3.11", [...dynload, grpc]),
    /; loaded \/venv\/.*cygrpc[^,]*$/,
  );
});

Deno.test("a file the capture may not have inspected (review31a S3): not said to hold no TLS stack", () => {
  const s = attachStates({
    ...ATTACH,
    unresolved: [{ pid: 7, dev: "8:1", ino: "12", reason: "the process was gone" }],
  });
  const words = describeFiles(s, "/opt/a/a", ["/opt/a/libown.so"]);
  assert.ok(!words.includes("no TLS stack found in it"), words);
  assert.match(
    words,
    /\/opt\/a\/libown\.so \(not in manifest\.json's attach section: not inspected, or judged to hold no TLS stack\)/,
  );
  // a recording with no attach section at all: nothing was inspected that it says
  assert.match(describeFiles(attachStates(undefined), "/opt/a/a", null), /not inspected/);
  // the hooked ones are still hooked
  assert.match(describeFiles(s, "/usr/bin/node", null), /^ran \/usr\/bin\/node \(hooked\)/);
});

/** A run-time check as the capture reports it (capture/attach.ts applyChecks). */
function check(fn: string, seen: { plaintext?: number; ciphertext?: number; undecided?: number }) {
  return {
    fn,
    offset: "0x3681780",
    state: "unverified",
    confidence: 0,
    evidence: "no TLS data seen through this hook",
    plaintext: 0,
    ciphertext: 0,
    undecided: 0,
    dropped_calls: 0,
    dropped_bytes: 0,
    ...seen,
  };
}

Deno.test("a hooked executable none of whose hooks saw TLS data is said so, not just 'hooked' (opencode 1.17.0: hooks 0x2000 off)", () => {
  // opencode 1.17.0's entry in its recording's attach section (coverage, session 33)
  const exe =
    "/work/main/.cache/agents/opencode@1.17.0/node_modules/opencode-linux-x64/bin/opencode";
  const entry = (checks: unknown[]) => ({
    hooked: [{ path: exe, status: "hooked", library: "boringssl", probes: [], checks }],
    not_hooked: [],
    unresolved: [],
  });
  const silent = attachStates(entry([check("SSL_write", {}), check("SSL_read", {})]));
  assert.deepEqual(stateOf(silent, exe), { status: "hooked", silent: ["SSL_write", "SSL_read"] });
  assert.equal(
    describeFiles(silent, exe, ["/usr/lib/x86_64-linux-gnu/libc.so.6"]),
    `ran ${exe} (hooked, but no TLS data went through its hooks (SSL_write, SSL_read): they ` +
      "are not where its TLS runs, or its TLS went through other code); loaded only the " +
      "system's libraries (1), none of them left unhooked",
  );
  // one hook that saw a connection's bytes: hooked, as before
  const seen = attachStates(entry([check("SSL_write", { plaintext: 1 }), check("SSL_read", {})]));
  assert.deepEqual(stateOf(seen, exe), { status: "hooked" });
  // no checks (an older recording) or malformed ones: nothing claimed
  assert.deepEqual(stateOf(attachStates(entry([])), exe), { status: "hooked" });
  assert.deepEqual(stateOf(attachStates(entry([{ fn: 3 }])), exe), { status: "hooked" });
});
