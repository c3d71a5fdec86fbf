import assert from "node:assert/strict";
import { ElfFile } from "../elf.ts";
import { SKIP_NOT_ROOT, tempCacheDir } from "./test_gate.ts";
import { startTlsFixture } from "./tls_fixture.ts";
import { uprobesOfRun } from "./uprobe_check.ts";
import { locate } from "./mod.ts";
import { readPclntab } from "./gopclntab.ts";

// A stripped Go HTTPS client built here from Debian's golang-go (stdlib only, no downloads).
const CLIENT = `package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	resp, err := http.Post(os.Args[1]+"/go-client-path", "application/json", strings.NewReader("{\\"hello\\":1}"))
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, len(b))
}
`;

async function goTool(): Promise<string | undefined> {
  for (const p of ["/usr/bin/go", "/usr/lib/go/bin/go"]) {
    try {
      await Deno.stat(p);
      return p;
    } catch { /* next */ }
  }
  if (Deno.uid() !== 0) return undefined;
  // Root without Go (a fresh CI machine): install Debian's golang-go (~10 s, ~330 MB).
  const env = { ...Deno.env.toObject(), DEBIAN_FRONTEND: "noninteractive" };
  const apt = (args: string[]) =>
    new Deno.Command("apt-get", { args, env, stdout: "null" }).output();
  await apt(["update", "-qq"]);
  const r = await apt(["install", "-y", "-qq", "--no-install-recommends", "golang-go"]);
  if (!r.success) {
    throw new Error(`apt-get install golang-go: ${new TextDecoder().decode(r.stderr)}`);
  }
  return "/usr/bin/go";
}

const go = SKIP_NOT_ROOT ? undefined : await goTool();
if (!go) {
  console.warn("capture/locate: Go tests skipped: no go toolchain and not root to install it");
}

async function buildClient(dir: string): Promise<string> {
  await Deno.writeTextFile(`${dir}/main.go`, CLIENT);
  const out = await new Deno.Command(go!, {
    args: ["build", "-ldflags=-s -w", "-o", "client", "main.go"],
    cwd: dir,
    env: {
      HOME: dir,
      GOCACHE: `${dir}/cache`,
      GOPATH: `${dir}/gopath`,
      GO111MODULE: "off",
      GOPROXY: "off",
      GOFLAGS: "",
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    },
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return `${dir}/client`;
}

Deno.test({
  name: "Go: locate() finds crypto/tls.(*Conn).Write/Read and Read's RETs in a stripped binary",
  ignore: !go,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-locate-go-" });
    try {
      const bin = await buildClient(dir);
      using elf = ElfFile.open(bin);
      assert.equal(elf.staticSymbols().length, 0, "built stripped");
      const r = await locate(bin, { cacheDir: await tempCacheDir() });
      assert.equal(r.ok, true, r.reason);
      assert.equal(r.library, "go-crypto-tls");
      const w = r.hooks.find((h) => h.fn === "crypto/tls.(*Conn).Write")!;
      const rd = r.hooks.find((h) => h.fn === "crypto/tls.(*Conn).Read")!;
      assert.ok(w && rd, JSON.stringify(r.hooks));
      assert.ok(rd.retOffsets && rd.retOffsets.length > 0, "Read has RETs");
      const bytes = await Deno.readFile(bin);
      for (const off of rd.retOffsets!) {
        assert.equal(bytes[off], 0xc3, `RET at 0x${off.toString(16)}`);
      }
      // The names must be the table's own: every function of the table is inside .text.
      const text = elf.section(".text")!;
      const table = readPclntab(elf)!;
      assert.ok(table.funcs.every((f) => f.entry >= text.addr && f.entry < text.addr + text.size));

      if (SKIP_NOT_ROOT) return;
      const server = await startTlsFixture();
      try {
        const probes = [
          // Go register ABI: receiver c in RAX, b.ptr in RBX, b.len in RCX.
          {
            name: "go_write",
            path: bin,
            offset: w.fileOffset,
            fetch: "len=%cx:u64 data=+0(%bx):u8[40]",
          },
          ...rd.retOffsets!.map((off, i) => ({
            name: `go_read_ret${i}`,
            path: bin,
            offset: off,
            fetch: "n=%ax:s64", // results: n in RAX, err in RBX/RCX
          })),
        ];
        const { output, hits: mine } = await uprobesOfRun(probes, bin, {
          args: [server.url],
          env: { SSL_CERT_FILE: server.caPath },
        }, 60_000);
        assert.match(new TextDecoder().decode(output.stdout), /^400 /);
        assert.deepEqual(server.requests.map((q) => `${q.method} ${q.path}`), [
          "POST /go-client-path",
        ]);
        assert.ok(
          mine.some((h) => h.name === "go_write" && h.args.data.startsWith("POST /go-client-path")),
          JSON.stringify(mine),
        );
        const reads = mine.filter((h) => h.name.startsWith("go_read_ret"));
        assert.ok(reads.some((h) => Number(h.args.n) > 0), JSON.stringify(reads));
      } finally {
        await server.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
