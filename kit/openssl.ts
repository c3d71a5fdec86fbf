/**
 * The `openssl` command line, for the certificates that tests and the scripted model server
 * make: running one command (a failure is an error naming the subcommand with openssl's last
 * words), and a throw-away certificate authority with one server certificate for 127.0.0.1 and
 * localhost, in a new temporary directory.
 */

/** Runs `openssl ARGS` in `cwd`; throws when it fails. */
export async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-2).join(" | ");
    throw new Error(`openssl ${args[0]} failed: ${err}`);
  }
}

export interface ThrowawayCertsOptions {
  /** the temporary directory's name prefix */
  prefix: string;
  /** the keys: EC P-256 or RSA 2048 */
  key: "ec" | "rsa";
  /** the CA's and the server's common names */
  caName: string;
  serverName: string;
  days: number;
  /** the server files' base name (`<base>.key`, `<base>.pem`) */
  base: string;
  /** say in the server certificate that it is no CA (basicConstraints=CA:FALSE) */
  notCa?: boolean;
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
  const newKey = o.key === "ec"
    ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    : ["-newkey", "rsa:2048"];
  const days = String(o.days);
  await openssl([
    "req",
    "-x509",
    ...newKey,
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    days,
    "-subj",
    `/CN=${o.caName}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  ], dir); // deno-fmt-ignore
  await openssl([
    "req", ...newKey, "-nodes", "-keyout", `${o.base}.key`, "-out", `${o.base}.csr`,
    "-subj", `/CN=${o.serverName}`,
  ], dir); // deno-fmt-ignore
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    "subjectAltName=IP:127.0.0.1,DNS:localhost\n" +
      (o.notCa ? "basicConstraints=CA:FALSE\n" : "") + "extendedKeyUsage=serverAuth\n",
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    `${o.base}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    `${o.base}.pem`,
    "-days",
    days,
    "-extfile",
    "ext.cnf",
  ], dir); // deno-fmt-ignore
  return {
    dir,
    caPath: `${dir}/ca.pem`,
    cert: await Deno.readTextFile(`${dir}/${o.base}.pem`),
    key: await Deno.readTextFile(`${dir}/${o.base}.key`),
  };
}
