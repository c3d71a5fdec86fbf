/**
 * A throwaway certificate authority and a server certificate for 127.0.0.1 / localhost,
 * made with the openssl CLI (kit/openssl.ts), for tests that run their own HTTPS servers;
 * `sharedTestCerts`: one set for the whole test process (made at its first use).
 */
import { type ThrowawayCerts, throwawayCerts } from "../../kit/openssl.ts";

/** `caPath`: the PEM of the CA, for clients to trust (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, cafile). */
export type TestCerts = ThrowawayCerts;

export function makeTestCerts(): Promise<TestCerts> {
  return throwawayCerts({
    prefix: "sl-certs-",
    key: "ec",
    caName: "Sightline Test CA",
    serverName: "localhost",
    days: 2,
    base: "server",
  });
}

let shared: Promise<TestCerts> | undefined;

/** One set of test certificates for every test of the process that asks for it. */
export function sharedTestCerts(): Promise<TestCerts> {
  return shared ??= makeTestCerts();
}
