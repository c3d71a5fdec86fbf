/**
 * A transparent stdio relay that records what an MCP client and server say to each other:
 * `deno run -A stdio_tap.ts LOG -- CMD ARGS...` starts CMD, copies its stdin and stdout through
 * unchanged and appends every chunk to LOG as JSON lines `{ts_ns, pid, direction, data}` —
 * `direction` `to_server` or `from_server`, `data` base64, `pid` the server's. It makes the real
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
  const ts_ns = (BigInt(Date.now()) * 1_000_000n +
    BigInt(Math.floor((performance.now() % 1) * 1e6)))
    .toString();
  const line = JSON.stringify({
    ts_ns,
    pid: child.pid,
    direction,
    data: btoa(String.fromCharCode(...data)),
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
