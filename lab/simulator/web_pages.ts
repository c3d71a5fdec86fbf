/**
 * Extra loopback "web page" servers a scenario declares — a docs page carrying an injected
 * instruction, an "attacker" endpoint — on other loopback addresses (127.0.0.2, ...), plain
 * HTTP or HTTPS with the model server's CA. Each serves its fixed routes and records every
 * request it gets (body included), so tests can see what an agent fetched or sent.
 */

import { listen, type Listener } from "./http_listener.ts";
import { redactHeaders, redactPath } from "./request_log.ts";
import type { PageSpec } from "./scenario.ts";
import type { ServerCertificates } from "./tls_ca.ts";

/** A request a page server received. */
export interface PageRequest {
  time: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  status: number;
}

export interface PageServer {
  name: string;
  /** Base URL, with the host name when the page has one: `http://docs.example.test:PORT`. */
  url: string;
  /** Base URL with the address: `http://127.0.0.2:PORT`. */
  addressUrl: string;
  host?: string;
  address: string;
  port: number;
  requests: PageRequest[];
  close(): Promise<void>;
}

function baseUrl(scheme: string, host: string, port: number): string {
  const dflt = scheme === "https" ? 443 : 80;
  return `${scheme}://${host}${port === dflt ? "" : `:${port}`}`;
}

/** Starts one page server. `certs` is needed when the page uses TLS. */
export async function startPage(
  spec: PageSpec,
  certs?: ServerCertificates,
): Promise<PageServer> {
  if (spec.tls && !certs) {
    throw new Error(`page ${spec.name}: TLS needs certificates`);
  }
  const requests: PageRequest[] = [];
  const listener: Listener = await listen({
    hostname: spec.address,
    port: spec.port ?? 0,
    tls: spec.tls && certs ? { cert: certs.leaf.certPem, key: certs.leaf.keyPem } : undefined,
    http1Only: true,
  }, async (req, res) => {
    const q = req.url.indexOf("?");
    const path = q < 0 ? req.url : req.url.slice(0, q);
    const route = spec.routes.find((r) =>
      r.path === path && (!r.method || r.method === req.method)
    );
    const status = route ? route.status ?? 200 : 404;
    requests.push({
      time: new Date().toISOString(),
      method: req.method,
      path: redactPath(req.url),
      headers: redactHeaders(req.headers),
      body: new TextDecoder().decode(req.body),
      status,
    });
    const body = route ? route.body ?? "" : "not found\n";
    const bytes = new TextEncoder().encode(body);
    res.writeHead(status, {
      "content-type": route?.contentType ?? "text/plain; charset=utf-8",
      "content-length": String(bytes.length),
      ...(route?.headers ?? {}),
    });
    await res.end(req.method === "HEAD" ? undefined : bytes);
  });
  const scheme = spec.tls ? "https" : "http";
  return {
    name: spec.name,
    url: baseUrl(scheme, spec.host ?? spec.address, listener.port),
    addressUrl: baseUrl(scheme, spec.address, listener.port),
    host: spec.host,
    address: spec.address,
    port: listener.port,
    requests,
    close: () => listener.close(),
  };
}

/** Template variables for started pages: `pages.NAME.url`, `.host`, `.address`, `.port`. */
export function pageVars(pages: PageServer[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const p of pages) {
    vars[`pages.${p.name}.url`] = p.url;
    vars[`pages.${p.name}.address_url`] = p.addressUrl;
    vars[`pages.${p.name}.host`] = p.host ?? p.address;
    vars[`pages.${p.name}.address`] = p.address;
    vars[`pages.${p.name}.port`] = String(p.port);
  }
  return vars;
}

/**
 * Renders an /etc/hosts file that maps the pages' host names to their addresses, after `base`
 * (the machine's own hosts file, so that its other names still resolve).
 */
export function hostsFile(
  pages: { host?: string; address: string }[],
  base = "",
): string {
  const lines = [
    base.trimEnd(),
    "# added by the Sightline agent runner for one scenario run",
    ...pages.filter((p) => p.host).map((p) => `${p.address}\t${p.host}`),
  ].filter((l) => l !== "");
  return lines.join("\n") + "\n";
}
