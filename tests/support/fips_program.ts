/**
 * A real BoringSSL FIPS module in a program, for the tests: Go's BoringCrypto object (BoringSSL
 * built as its FIPS module, delocated, with the rest of libcrypto; in Debian's golang-go, which
 * setup installs) linked into a small C program by gcc. The module's power-on self tests and
 * integrity check (an HMAC of its code and data) run before main.
 */
import assert from "node:assert/strict";

/** Go's BoringCrypto object for linux/amd64, or undefined when this machine's Go has none. */
export async function goBoringCrypto(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("go", { args: ["env", "GOROOT"], stdout: "piped" })
      .output();
    const root = new TextDecoder().decode(out.stdout).trim();
    const syso = `${root}/src/crypto/internal/boring/syso/goboringcrypto_linux_amd64.syso`;
    return Deno.statSync(syso).isFile ? syso : undefined;
  } catch {
    return undefined;
  }
}

/** Seals "hello" with AES-128-GCM and opens it again through the module's EVP_AEAD API. */
const PROGRAM = `#include <stddef.h>
#include <stdint.h>
typedef struct { _Alignas(16) char opaque[1024]; } CTX;
#define F(name) _goboringcrypto_##name
extern const void *F(EVP_aead_aes_128_gcm)(void);
extern int F(EVP_AEAD_CTX_init)(CTX *, const void *, const uint8_t *, size_t, size_t, void *);
typedef int aead_fn(CTX *, uint8_t *, size_t *, size_t, const uint8_t *, size_t, const uint8_t *,
                    size_t, const uint8_t *, size_t);
extern aead_fn F(EVP_AEAD_CTX_seal), F(EVP_AEAD_CTX_open);
int main(void) {
  CTX c;
  uint8_t key[16] = {0}, nonce[12] = {0}, sealed[64], opened[64];
  size_t n, m;
  if (!F(EVP_AEAD_CTX_init)(&c, F(EVP_aead_aes_128_gcm)(), key, 16, 16, NULL)) return 1;
  if (!F(EVP_AEAD_CTX_seal)(&c, sealed, &n, sizeof sealed, nonce, 12,
                            (const uint8_t *)"hello", 5, NULL, 0)) return 2;
  if (!F(EVP_AEAD_CTX_open)(&c, opened, &m, sizeof opened, nonce, 12, sealed, n, NULL, 0)) return 3;
  return m == 5 ? 0 : 4;
}
`;

/**
 * The program linked with the module by gcc (the default layout, or the old one with
 * `-Wl,-z,noseparate-code`: the code segment is the only read-only one), and a stripped copy;
 * it exits 0 when the module's checks passed and "hello" was sealed and opened again.
 */
export async function buildFipsProgram(
  dir: string,
  ld: string[] = [],
): Promise<{ full: string; stripped: string }> {
  const syso = await goBoringCrypto();
  assert.ok(syso, "Go's BoringCrypto object (golang-go) is installed");
  await Deno.writeTextFile(`${dir}/fips.c`, PROGRAM);
  const full = `${dir}/fips`, stripped = `${dir}/fips.stripped`;
  for (
    const [cmd, args] of [
      ["gcc", ["-O2", ...ld, "-o", full, `${dir}/fips.c`, syso, "-lpthread"]],
      ["strip", ["-o", stripped, full]],
    ] as const
  ) {
    const r = await new Deno.Command(cmd, { args: [...args], stderr: "piped" }).output();
    assert.ok(r.success, `${cmd}: ${new TextDecoder().decode(r.stderr)}`);
  }
  // the module's power-on self tests and integrity check run before main: it is intact
  const run = await new Deno.Command(stripped).output();
  assert.equal(run.code, 0, "the FIPS program runs");
  return { full, stripped };
}
