/**
 * A command that hands its work to a server on loopback started before the capture (as Cline
 * 3's `cline` hands each prompt to the `cline --cline-hub-daemon` it started on an earlier
 * run, which makes the LLM calls): the recording holds no LLM call, and the analysis says why
 * that may be in a `problems` row instead of leaving an empty llm_calls table.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { denoTask } from "./testing.ts";

/** `text` matched as it is, in a RegExp's source. */
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** What the loopback problem says of either cause, and of neither, around the files it names
 * (loopback_unseen.ts), word for word. */
const LOOPBACK_CAUSES = literal(
  " on this machine's loopback: a local server the capture does not trace (an agent's daemon " +
    "started before it) may have made the calls; capture that server too (--pid or --comm), or " +
    "stop it so that the agent starts it under the capture; or the server was the model's and " +
    "the process's TLS went unrecorded (a TLS library not hooked: no TLS was recorded at all " +
    "from pid ",
);
const LOOPBACK_TAIL = literal(
  "; if so, the TLS stack is in one of the files named: report it, naming the file; " +
    "manifest.json's attach section lists the files hooked and those that could not be, " +
    '"no TLS stack found in it" is one inspected and judged to hold none; a library mapped ' +
    "before the capture joined a process, or by its parent before a fork, is not recorded and " +
    "cannot be named); or the connections never got through (refused, or the server gone: " +
    "then nothing is missing).",
);

/** Captures `bash -c script` into `rec`, then gives the rows `deno task sql --format json` gives
 * for `query` over the recording. */
async function captureAndQuery(
  rec: string,
  script: string,
  query: string,
): Promise<Record<string, unknown>[]> {
  const cap = await denoTask(["capture", "--out", rec, "--", "bash", "-c", script]);
  assert.equal(cap.code, 0, cap.stderr);
  const sql = await denoTask(["sql", "--format", "json", rec, "--", query]);
  assert.equal(sql.code, 0, sql.stderr);
  return JSON.parse(sql.stdout);
}

Deno.test({
  name: "no LLM call but a loopback server outside the capture: a problems row names it",
  ignore: skipWithoutRoot(),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sl-loopback-" });
    const rec = join(tmp, "rec");
    const hub = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("hub"),
    );
    try {
      const port = hub.addr.port;
      // bash's /dev/tcp: one connect from the traced shell, no other program needed
      const rows = await captureAndQuery(
        rec,
        `exec 3<>/dev/tcp/127.0.0.1/${port}; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3`,
        "SELECT source, kind, message FROM problems WHERE source = 'net'",
      );
      assert.equal(rows.length, 1, JSON.stringify(rows));
      assert.equal(rows[0].kind, "blind");
      assert.match(
        String(rows[0].message),
        new RegExp(
          `^no LLM call was recorded, but the traced processes connected to 127\\.0\\.0\\.1:${port} ` +
            `\\(1× from pid \\d+ bash\\) on this machine's loopback: a local server the capture ` +
            "does not trace",
        ),
      );
    } finally {
      await hub.shutdown();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "no LLM call, a loopback server the capture traced: no problems row",
  ignore: skipWithoutRoot(),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sl-loopback-traced-" });
    const rec = join(tmp, "rec");
    try {
      // the server starts inside the capture (a traced listen), the shell connects to it
      const server = `Deno.serve({ hostname: "127.0.0.1", port: 0, onListen({ port }) {
        Deno.writeTextFileSync("${tmp}/port", String(port)); } }, () => new Response("x"))`;
      const rows = await captureAndQuery(
        rec,
        `"${Deno.execPath()}" eval '${server}' & while [ ! -s "${tmp}/port" ]; do sleep 0.1; done; ` +
          `exec 3<>/dev/tcp/127.0.0.1/$(cat "${tmp}/port"); exec 3>&-; kill $!; wait $! || true`,
        "SELECT (SELECT count(*) FROM net WHERE op = 'listen')::INT AS listens, " +
          "(SELECT count(*) FROM problems WHERE source = 'net')::INT AS rows",
      );
      assert.deepEqual(rows, [{ listens: 1, rows: 0 }]);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "a connect to port 443 with no TLS call of its process recorded: a problems row names it",
  ignore: skipWithoutRoot(),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sl-https-unrecorded-" });
    const rec = join(tmp, "rec");
    // a server on 443 outside the capture, on a loopback address of its own
    const listener = Deno.listen({ hostname: "127.0.0.3", port: 443 });
    const accepted = (async () => {
      for await (const conn of listener) conn.close();
    })();
    try {
      // bash's /dev/tcp speaks no TLS: what a process whose TLS library is not hooked leaves;
      // on loopback with no LLM call: one cause, one problem (loopback_unseen.ts), not one of
      // https_unrecorded's besides
      const rows = await captureAndQuery(
        rec,
        "exec 3<>/dev/tcp/127.0.0.3/443; exec 3>&-",
        "SELECT kind, message FROM problems WHERE source = 'net'",
      );
      assert.equal(rows.length, 1, JSON.stringify(rows));
      assert.equal(rows[0].kind, "blind");
      assert.match(
        String(rows[0].message),
        // the process, its executable (bash, inspected: nothing to hook), that it loaded the
        // system's libraries only, and what to do
        new RegExp(
          String
            .raw`^no LLM call was recorded, but the traced processes connected to 127\.0\.0\.3:443 \(1× from pid (\d+) bash\)` +
            LOOPBACK_CAUSES +
            String
              .raw`\1 \(ran \S*\/bash \(no TLS stack found in it\); loaded only the system's libraries \(\d+\), none of them left unhooked\)` +
            LOOPBACK_TAIL + "$",
        ),
      );
    } finally {
      listener.close();
      await accepted.catch(() => {});
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a connect to port 443 by a process that loaded a TLS library the capture does not hook: the problem names the library and why",
  ignore: skipWithoutRoot(),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sl-https-nss-" });
    const rec = join(tmp, "rec");
    const listener = Deno.listen({ hostname: "127.0.0.3", port: 443 });
    const accepted = (async () => {
      for await (const conn of listener) conn.close();
    })();
    try {
      // NSS loaded by dlopen (as Firefox-based and some curl builds do), then a connect: the
      // capture lists NSS as not hooked (unsupported), and the problem names it from there
      const py = "import ctypes, socket; ctypes.CDLL('libnss3.so'); " +
        "socket.create_connection(('127.0.0.3', 443)).close()";
      const rows = await captureAndQuery(
        rec,
        `exec python3 -c "${py}"`,
        "SELECT kind, message FROM problems WHERE source = 'net'",
      );
      // one problem (loopback, no LLM call: loopback_unseen.ts) naming the library and why
      assert.equal(rows.length, 1, JSON.stringify(rows));
      assert.equal(rows[0].kind, "blind");
      assert.match(
        String(rows[0].message),
        new RegExp(
          String
            .raw`^no LLM call was recorded, but the traced processes connected to 127\.0\.0\.3:443 \(1× from pid (\d+) python[0-9.]*\)` +
            LOOPBACK_CAUSES +
            String
              .raw`\1 \(ran \S*\/python[0-9.]* \([^)]*\); loaded [^;]*\S*\/libnss3\.so \(not hooked: NSS is not hooked \(PR_Write\/PR_Read have no probes yet\)\)[^;]*\)` +
            LOOPBACK_TAIL + "$",
        ),
      );
    } finally {
      listener.close();
      await accepted.catch(() => {});
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
