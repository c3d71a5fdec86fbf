import assert from "node:assert/strict";
import { ElfFile } from "../elf.ts";
import { CODEX_EXE, SKIP_NOT_ROOT, tempCacheDir } from "./test_gate.ts";
import { startTlsFixture } from "./tls_fixture.ts";
import { uprobesOfRun } from "./uprobe_check.ts";
import { locate } from "./mod.ts";

// Oracle for the pinned Codex 0.169.0 only (the file offsets found by hand before the locator
// existed); the locator never sees these numbers. Checked only for that exact file size.
const PINNED_SIZE = 294277432;
const PINNED = { EVP_AEAD_CTX_seal: 0x1125ead0, EVP_AEAD_CTX_open: 0x1125ed10 };

Deno.test("Codex: locate() finds EVP_AEAD_CTX_seal/open in the stripped Rust binary", async () => {
  const r = await locate(CODEX_EXE, { cacheDir: await tempCacheDir() });
  assert.equal(r.ok, true, r.reason);
  // Codex links three TLS stacks: rustls over aws-lc (model API), rustls over ring and a
  // static OpenSSL (native-tls); each is hooked
  assert.deepEqual([...r.libraries ?? []].sort(), ["aws-lc", "openssl", "ring"]);
  const aead = r.hooks.filter((h) => h.fn.startsWith("EVP_AEAD"));
  assert.deepEqual(aead.map((h) => h.fn).sort(), ["EVP_AEAD_CTX_open", "EVP_AEAD_CTX_seal"]);
  assert.deepEqual(
    (r.related ?? []).map((h) => h.fn).sort(),
    ["EVP_AEAD_CTX_open_gather", "EVP_AEAD_CTX_seal_scatter"],
  );
  using elf = ElfFile.open(CODEX_EXE);
  assert.equal(elf.staticSymbols().length, 0, "stripped");
  for (const h of aead) {
    assert.ok(h.confidence >= 0.8, `${h.fn}: ${h.confidence} ${h.evidence}`);
    if (elf.size === PINNED_SIZE) {
      assert.equal(h.fileOffset, PINNED[h.fn as keyof typeof PINNED]);
    }
  }
});

Deno.test("Deno: locate() finds EVP_AEAD_CTX_seal/open in the deno binary (aws-lc built for size)", async () => {
  // The deno that runs Sightline (setup installs it): rustls on aws-lc, static and stripped,
  // whose aws-lc loads the error codes with `push imm8; pop reg` (clang -Oz), not `mov`.
  const deno = Deno.realPathSync(Deno.execPath());
  using elf = ElfFile.open(deno);
  assert.equal(elf.staticSymbols().length, 0, "stripped");
  const r = await locate(deno, { cacheDir: await tempCacheDir() });
  assert.equal(r.ok, true, r.reason ?? JSON.stringify(r.tried));
  const libraries = [r.library, ...r.libraries ?? []];
  assert.ok(libraries.includes("aws-lc"), JSON.stringify(libraries));
  const aead = r.hooks.filter((h) => h.fn.startsWith("EVP_AEAD"));
  assert.deepEqual(aead.map((h) => h.fn).sort(), ["EVP_AEAD_CTX_open", "EVP_AEAD_CTX_seal"]);
  const seal = aead.find((h) => h.fn === "EVP_AEAD_CTX_seal")!;
  const open = aead.find((h) => h.fn === "EVP_AEAD_CTX_open")!;
  assert.notEqual(seal.fileOffset, open.fileOffset);
  // the reasons in each function's source order, read from the code
  assert.match(seal.evidence, /TOO_LARGE@\d+,BUFFER_TOO_SMALL@\d+/);
  assert.match(open.evidence, /BAD_DECRYPT@\d+,BUFFER_TOO_SMALL@\d+/);
  for (const h of aead) assert.ok(h.confidence >= 0.8, `${h.fn}: ${h.confidence} ${h.evidence}`);
});

Deno.test({
  name: "Codex: uprobes at the located seal/open see the HTTPS request plaintext",
  ignore: SKIP_NOT_ROOT,
  async fn() {
    const r = await locate(CODEX_EXE, { cacheDir: await tempCacheDir() });
    const at = (fn: string) => [...r.hooks, ...r.related ?? []].find((h) => h.fn === fn)!;
    const server = await startTlsFixture();
    const home = await Deno.makeTempDir({ prefix: "sl-locate-codex-home-" });
    await Deno.mkdir(`${home}/.codex`);
    await Deno.writeTextFile(
      `${home}/.codex/config.toml`,
      [
        `model = "gpt-5"`,
        `model_provider = "sltest"`,
        `[model_providers.sltest]`,
        `name = "sltest"`,
        `base_url = "${server.url}/v1"`,
        `wire_api = "responses"`,
        `env_key = "OPENAI_API_KEY"`,
        `request_max_retries = 0`,
        `stream_max_retries = 0`,
      ].join("\n") + "\n",
    );
    try {
      const { pid, hits: mine } = await uprobesOfRun(
        [
          // EVP_AEAD_CTX_seal(ctx, out, out_len, max_out_len, nonce, nonce_len, in, in_len, ad,
          // ad_len): args 7.. are on the stack; at entry [rsp] is the return address.
          {
            name: "seal",
            path: CODEX_EXE,
            offset: at("EVP_AEAD_CTX_seal").fileOffset,
            fetch: "inlen=+16(%sp):u64 data=+0(+8(%sp)):u8[48]",
          },
          {
            name: "open",
            path: CODEX_EXE,
            offset: at("EVP_AEAD_CTX_open").fileOffset,
            fetch: "inlen=+16(%sp):u64",
          },
          // Not hooks: recorded to show rustls does not call them.
          {
            name: "seal_scatter",
            path: CODEX_EXE,
            offset: at("EVP_AEAD_CTX_seal_scatter").fileOffset,
          },
          {
            name: "open_gather",
            path: CODEX_EXE,
            offset: at("EVP_AEAD_CTX_open_gather").fileOffset,
          },
        ],
        CODEX_EXE,
        {
          args: [
            "exec",
            "--skip-git-repo-check",
            "--dangerously-bypass-approvals-and-sandbox",
            "-c",
            "analytics.enabled=false",
            "--disable",
            "plugins",
            "--disable",
            "apps",
            "--disable",
            "remote_plugin",
            "--disable",
            "tool_suggest",
            "hi",
          ], // deno-fmt-ignore
          cwd: home,
          clearEnv: true,
          env: {
            PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
            HOME: home,
            CODEX_HOME: `${home}/.codex`,
            OPENAI_API_KEY: "x",
            CODEX_CA_CERTIFICATE: server.caPath,
            SSL_CERT_FILE: server.caPath,
          },
        },
        120_000,
      );
      const count = (n: string) => mine.filter((h) => h.name === n).length;
      const post = server.requests.find((q) => q.method === "POST");
      assert.ok(post?.path.startsWith("/v1/responses"), JSON.stringify(server.requests));
      const line = `POST ${post!.path} HTTP/1.1`;
      const seals = mine.filter((h) => h.name === "seal");
      assert.ok(
        seals.some((h) => h.args.data.startsWith(line)),
        `no seal hit carries "${line}": ${seals.map((s) => JSON.stringify(s.args.data))}`,
      );
      assert.ok(count("open") > 0, "open fired for the response");
      assert.equal(count("seal_scatter"), 0, "rustls seals through EVP_AEAD_CTX_seal");
      console.log(
        `  seal ${count("seal")}, open ${count("open")}, seal_scatter ${count("seal_scatter")},` +
          ` open_gather ${count("open_gather")} hits in pid ${pid}; request record: ` +
          JSON.stringify(seals.find((h) => h.args.data.startsWith("POST"))?.args.data),
      );
    } finally {
      await server.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});
