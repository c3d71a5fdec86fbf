/**
 * Certificates, made in this one place with the `openssl` command line, for the tests and the
 * scripted model server (lab/simulator/tls_ca.ts caches its CA and leaves with these): running
 * one command (a failure is an error naming the subcommand with openssl's last words), a new
 * key, a certificate authority, a server certificate it signs for a list of names, and a
 * throw-away CA with one server certificate for 127.0.0.1 and localhost in a new temporary
 * directory.
 */
import { isIP } from "node:net";

/** Runs `openssl ARGS` in `cwd`; throws when it fails. */
export async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-2).join(" | ");
    throw new Error(`openssl ${args[0]} failed: ${err}`);
  }
}

/** The keys: EC P-256 or RSA 2048. */
export type KeyType = "ec" | "rsa";

/** A new private key of `type` (unencrypted PKCS#8 PEM) into `cwd`/`out`. */
export async function newKey(cwd: string, out: string, type: KeyType = "ec"): Promise<void> {
  const algorithm = type === "ec"
    ? ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    : ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"];
  await openssl(["genpkey", ...algorithm, "-out", out], cwd);
}

/** A certificate and its key, as files. */
export interface CertFiles {
  certPath: string;
  keyPath: string;
}

/**
 * A new certificate authority in `cwd`: its key (`base`.key) and self-signed certificate
 * (`base`.pem) of subject `subject` (`/CN=...`), that may sign server certificates only
 * (pathlen 0).
 */
export async function newCa(
  cwd: string,
  o: { base: string; subject: string; days: number; key?: KeyType },
): Promise<CertFiles> {
  const files = { keyPath: `${cwd}/${o.base}.key`, certPath: `${cwd}/${o.base}.pem` };
  await newKey(cwd, files.keyPath, o.key);
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    files.keyPath,
    "-sha256",
    "-days",
    String(o.days),
    "-subj",
    o.subject,
    "-addext",
    "basicConstraints=critical,CA:TRUE,pathlen:0",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-addext",
    "subjectKeyIdentifier=hash",
    "-out",
    files.certPath,
  ], cwd); // deno-fmt-ignore
  return files;
}

/** A host name or address a certificate may name; throws on anything else. */
export function checkCertName(name: string): void {
  if (isIP(name)) return;
  if (
    !/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/
      .test(name)
  ) {
    throw new Error(`invalid certificate name ${JSON.stringify(name)}`);
  }
}

/**
 * A server certificate signed by `ca`, in `cwd`: its key (`base`.key) and certificate
 * (`base`.pem) for `names` (host names, wildcards, IP addresses: checked first), of subject
 * `subject`, no CA, for TLS servers only; serial `serial` (hex) or a random one.
 */
export async function signServerCert(
  cwd: string,
  ca: CertFiles,
  o: {
    base: string;
    subject: string;
    names: readonly string[];
    days: number;
    key?: KeyType;
    serial?: string;
  },
): Promise<CertFiles> {
  o.names.forEach(checkCertName);
  const files = { keyPath: `${cwd}/${o.base}.key`, certPath: `${cwd}/${o.base}.pem` };
  const san = o.names.map((n) => isIP(n) ? `IP:${n}` : `DNS:${n}`).join(", ");
  await Deno.writeTextFile(
    `${cwd}/${o.base}.ext`,
    [
      "basicConstraints = critical, CA:FALSE",
      "keyUsage = critical, digitalSignature, keyEncipherment",
      "extendedKeyUsage = serverAuth",
      "subjectKeyIdentifier = hash",
      "authorityKeyIdentifier = keyid",
      `subjectAltName = ${san}`,
      "",
    ].join("\n"),
  );
  await newKey(cwd, files.keyPath, o.key);
  const serial = o.serial ?? [...crypto.getRandomValues(new Uint8Array(8))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  await openssl([
    "req",
    "-new",
    "-key",
    files.keyPath,
    "-subj",
    o.subject,
    "-out",
    `${o.base}.csr`,
  ], cwd); // deno-fmt-ignore
  await openssl([
    "x509", "-req", "-in", `${o.base}.csr`, "-CA", ca.certPath, "-CAkey", ca.keyPath,
    "-set_serial", `0x${serial}`, "-days", String(o.days), "-sha256",
    "-extfile", `${o.base}.ext`, "-out", files.certPath,
  ], cwd); // deno-fmt-ignore
  return files;
}

export interface ThrowawayCertsOptions {
  /** the temporary directory's name prefix */
  prefix: string;
  key: KeyType;
  /** the CA's and the server's common names */
  caName: string;
  serverName: string;
  days: number;
  /** the server files' base name (`<base>.key`, `<base>.pem`) */
  base: string;
}

export interface ThrowawayCerts {
  dir: string;
  /** PEM of the CA, for clients to trust */
  caPath: string;
  /** the server's certificate and key, PEM */
  cert: string;
  key: string;
}

/** A new CA and a server certificate it signed for IP 127.0.0.1 and DNS localhost. */
export async function throwawayCerts(o: ThrowawayCertsOptions): Promise<ThrowawayCerts> {
  const dir = await Deno.makeTempDir({ prefix: o.prefix });
  const ca = await newCa(dir, { base: "ca", subject: `/CN=${o.caName}`, days: o.days, key: o.key });
  const server = await signServerCert(dir, ca, {
    base: o.base,
    subject: `/CN=${o.serverName}`,
    names: ["127.0.0.1", "localhost"],
    days: o.days,
    key: o.key,
  });
  return {
    dir,
    caPath: ca.certPath,
    cert: await Deno.readTextFile(server.certPath),
    key: await Deno.readTextFile(server.keyPath),
  };
}
