/**
 * A transparent stdio relay that records what an MCP client and server say to each other:
 * `deno run -A stdio_tap.ts LOG -- CMD ARGS...` starts CMD, copies its stdin and stdout through
 * unchanged and appends every chunk to LOG as JSON lines `{ts_ns, pid, tap_pid, direction, data}`
 * — `direction` `to_server` (logged before it is passed on) or `from_server` (after it was read),
 * `data` base64, `pid` the server's, `tap_pid` the relay's. It makes the real
 * JSON-RPC bytes of real agent sessions into test fixtures (`record_fixture.ts`); it is not part
 * of a capture, which records the same bytes from the kernel.
 */

const sep = Deno.args.indexOf("--");
if (sep !== 1 || Deno.args.length < 3) {
  console.error("usage: stdio_tap.ts LOG -- CMD ARGS...");
  Deno.exit(2);
}
const log = await Deno.open(Deno.args[0], { append: true, create: true });
const [cmd, ...args] = Deno.args.slice(2);
const child = new Deno.Command(cmd, {
  args,
  stdin: "piped",
  stdout: "piped",
  stderr: "inherit",
})
  .spawn();
const enc = new TextEncoder();
let chain = Promise.resolve();
function record(direction: string, data: Uint8Array) {
  // Sub-millisecond wall-clock time, to compare with the kernel's timestamps.
  const ts_ns = BigInt(
    Math.round((performance.timeOrigin + performance.now()) * 1e6),
  ).toString();
  let bin = "";
  for (const b of data) bin += String.fromCharCode(b);
  const line = JSON.stringify({
    ts_ns,
    pid: child.pid,
    tap_pid: Deno.pid,
    direction,
    data: btoa(bin),
  });
  chain = chain.then(() => log.write(enc.encode(line + "\n")).then(() => {}));
}
const toServer = (async () => {
  const w = child.stdin.getWriter();
  for await (const chunk of Deno.stdin.readable) {
    record("to_server", chunk);
    await w.write(chunk);
  }
  await w.close().catch(() => {});
})();
const fromServer = (async () => {
  for await (const chunk of child.stdout) {
    record("from_server", chunk);
    let off = 0;
    while (off < chunk.length) {
      off += await Deno.stdout.write(chunk.subarray(off));
    }
  }
})();
const status = await child.status;
await Promise.race([
  Promise.all([toServer, fromServer]),
  new Promise((r) => setTimeout(r, 200)),
]);
await chain;
log.close();
Deno.exit(status.code);
