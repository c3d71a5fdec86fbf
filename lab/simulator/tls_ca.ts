/**
 * A local certificate authority for the scripted model server and its "web page" servers.
 *
 * At first use it creates a CA (EC P-256, one year; made by kit/openssl.ts, the one place
 * certificates are made) and caches it under `.cache/model-server-ca/` (keys 0600); it is made
 * again when missing, unreadable or about to expire. Leaf certificates (30 days) are issued per set of names and cached beside it, keyed by
 * the CA and the names, so that every server of a run shares one CA file that the agents trust
 * through `NODE_EXTRA_CA_CERTS`, `SSL_CERT_FILE` and `CODEX_CA_CERTIFICATE`.
 */

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join as joinPath } from "node:path";
import { fileURLToPath } from "node:url";
import { checkCertName, newCa, openssl, signServerCert } from "../../kit/openssl.ts";

/** The names every leaf covers: the loopback names and addresses scenarios may use. */
export const DEFAULT_LEAF_NAMES: readonly string[] = [
  "localhost",
  "*.localhost",
  "::1",
  ...Array.from({ length: 16 }, (_, i) => `127.0.0.${i + 1}`),
];

/** Where the CA lives unless told otherwise: `<repo>/.cache/model-server-ca`. */
export const DEFAULT_CA_DIR: string = fileURLToPath(
  new URL("../../.cache/model-server-ca", import.meta.url),
);

/** A certificate and its private key, both PEM. */
export interface KeyPair {
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
}

/** What {@linkcode ensureCertificates} returns: the CA (certificate only matters) and a leaf. */
export interface ServerCertificates {
  /** Path of the CA certificate (PEM) that clients must trust. */
  caCertPath: string;
  caCertPem: string;
  leaf: KeyPair;
}

const CA_DAYS = 365;
const LEAF_DAYS = 30;
/** Certificates expiring within this many seconds are made again. */
const MIN_REMAINING_SECONDS = 2 * 24 * 3600;

async function stillValid(certPath: string, cwd: string): Promise<boolean> {
  try {
    await openssl(
      [
        "x509",
        "-checkend",
        String(MIN_REMAINING_SECONDS),
        "-noout",
        "-in",
        certPath,
      ],
      cwd,
    );
    return true;
  } catch {
    return false;
  }
}

/** Serialises CA creation across processes with an atomic `mkdir` lock (stale after 60 s). */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = joinPath(dir, ".lock");
  const start = Date.now();
  for (;;) {
    try {
      await Deno.mkdir(lock);
      break;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      const st = await Deno.stat(lock).catch(() => null);
      if (st?.mtime && Date.now() - st.mtime.getTime() > 60_000) {
        await Deno.remove(lock, { recursive: true }).catch(() => {});
        continue;
      }
      if (Date.now() - start > 120_000) {
        throw new Error(`timed out waiting for lock ${lock}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await Deno.remove(lock, { recursive: true }).catch(() => {});
  }
}

/** Writes `text` to `path` atomically with the given mode. */
async function writeAtomic(
  path: string,
  text: string,
  mode: number,
): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(tmp, text, { mode });
  await Deno.chmod(tmp, mode);
  await Deno.rename(tmp, path);
}

/** Puts the key and certificate made in `work` in their places (the key 0600). */
async function install(
  work: string,
  made: { key: string; cert: string },
  to: { keyPath: string; certPath: string },
): Promise<void> {
  await writeAtomic(to.keyPath, await Deno.readTextFile(joinPath(work, made.key)), 0o600);
  await writeAtomic(to.certPath, await Deno.readTextFile(joinPath(work, made.cert)), 0o644);
}

async function readPair(certPath: string, keyPath: string): Promise<KeyPair> {
  return {
    certPath,
    keyPath,
    certPem: await Deno.readTextFile(certPath),
    keyPem: await Deno.readTextFile(keyPath),
  };
}

/**
 * The key pair `name` of `dir` (`name.key`, `name.pem`) when both are there and the certificate
 * is still valid; else made by `make` as `kind.key` and `kind.pem` in a new temporary
 * directory of `dir` and installed (under the directory's lock when `locked`).
 */
async function cachedPair(
  dir: string,
  name: string,
  kind: "ca" | "leaf",
  locked: boolean,
  make: (work: string) => Promise<void>,
): Promise<KeyPair> {
  const to = { keyPath: joinPath(dir, `${name}.key`), certPath: joinPath(dir, `${name}.pem`) };
  const ok = async () =>
    existsSync(to.keyPath) && existsSync(to.certPath) &&
    (await stillValid(to.certPath, dir));
  const remake = async () => {
    const work = await Deno.makeTempDir({ dir, prefix: `.${kind}-` });
    try {
      await make(work);
      await install(work, { key: `${kind}.key`, cert: `${kind}.pem` }, to);
    } finally {
      await Deno.remove(work, { recursive: true }).catch(() => {});
    }
  };
  if (!(await ok())) {
    if (!locked) await remake();
    else {
      await withLock(dir, async () => {
        if (!(await ok())) await remake();
      });
    }
  }
  return readPair(to.certPath, to.keyPath);
}

function ensureCa(dir: string): Promise<KeyPair> {
  return cachedPair(dir, "ca", "ca", true, async (work) => {
    await newCa(work, {
      base: "ca",
      subject: "/CN=Sightline model-server local CA/O=Sightline test",
      days: CA_DAYS,
    });
  });
}

function ensureLeaf(dir: string, ca: KeyPair, names: string[]): Promise<KeyPair> {
  const id = createHash("sha256").update(ca.certPem).update("\0").update(names.join(","))
    .digest("hex").slice(0, 16);
  return cachedPair(dir, `leaf-${id}`, "leaf", false, async (work) => {
    await signServerCert(work, ca, {
      base: "leaf",
      subject: `/CN=${names[0]}/O=Sightline test`,
      names,
      days: LEAF_DAYS,
      serial: id,
    });
  });
}

/**
 * Returns the CA (made or re-made if needed) and a leaf certificate for the default loopback
 * names plus `extraNames` (host names or IP addresses).
 */
export async function ensureCertificates(
  opts: { caDir?: string; extraNames?: string[] } = {},
): Promise<ServerCertificates> {
  const names = [
    ...new Set([...DEFAULT_LEAF_NAMES, ...(opts.extraNames ?? [])]),
  ];
  names.forEach(checkCertName);
  const dir = opts.caDir ?? DEFAULT_CA_DIR;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const ca = await ensureCa(dir);
  const leaf = await ensureLeaf(dir, ca, names);
  return { caCertPath: ca.certPath, caCertPem: ca.certPem, leaf };
}
