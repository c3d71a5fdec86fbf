/**
 * The certificate file an agent's TLS stack is told to trust (`SSL_CERT_FILE`,
 * `NODE_EXTRA_CA_CERTS`, `CODEX_CA_CERTIFICATE`): the machine's own roots followed by the scripted
 * server's CA, the CA first.
 *
 * Some stacks take such a file as their only roots rather than extra ones: OpenSSL's
 * `SSL_CERT_FILE` by definition, and Bun 1.3.0 (the runtime of opencode 1.0.0) its
 * `NODE_EXTRA_CA_CERTS`: given the CA alone, its `bun add` of the provider package from the npm
 * registry failed with SELF_SIGNED_CERT_IN_CHAIN and the agent exited before its first request.
 * With the bundle an agent trusts the scripted server in addition to every host it trusted before
 * — the package registry, a remote MCP server, a proxy —, never instead, whichever way its stack
 * reads the variable. The roots are the file the runner's own `SSL_CERT_FILE` names when set (a
 * company's bundle), else the first system bundle found (Debian/Ubuntu, Fedora/RHEL, openSUSE,
 * Alpine); none found leaves the CA alone, as before. The CA comes first: Node stops reading
 * `NODE_EXTRA_CA_CERTS` at the first block it cannot parse ("Ignoring extra certs"), so a roots
 * file with one odd block would otherwise cost the scripted server its trust.
 */

import { join } from "node:path";

/** Where distributions keep their PEM bundle of trusted roots, in the order looked at. */
export const SYSTEM_ROOT_FILES: readonly string[] = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/ca-bundle.pem",
  "/etc/ssl/cert.pem",
];

/** The roots file to start the bundle with: `SSL_CERT_FILE` of `env` if readable, else a system one. */
export function systemRootsFile(
  env: Record<string, string | undefined> = Deno.env.toObject(),
  candidates: readonly string[] = SYSTEM_ROOT_FILES,
): string | undefined {
  const own = env.SSL_CERT_FILE;
  return [...(own ? [own] : []), ...candidates].find(readable);
}

function readable(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Writes `dir/trust-bundle.pem` (0644): the CA at `caCertPath`, then the roots (`rootsFile`, by
 * default {@linkcode systemRootsFile}'s; `null`: none). Returns its path.
 */
export async function writeTrustBundle(
  dir: string,
  caCertPath: string,
  rootsFile: string | null = systemRootsFile() ?? null,
): Promise<string> {
  const ca = await Deno.readTextFile(caCertPath);
  const roots = rootsFile === null || rootsFile === caCertPath
    ? ""
    : await Deno.readTextFile(rootsFile);
  const path = join(dir, "trust-bundle.pem");
  const sep = roots === "" || ca.endsWith("\n") ? "" : "\n";
  await Deno.writeTextFile(path, ca + sep + roots, { mode: 0o644 });
  return path;
}
