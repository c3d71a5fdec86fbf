/**
 * Header names whose values are secrets (lowercase; `mcp-session-id`: an MCP streamable-HTTP
 * session, which whoever holds it can use; `x-amz-security-token`: the AWS session token of
 * temporary credentials, sent beside a SigV4 `authorization` on Bedrock calls; `api-key`: Azure
 * OpenAI's key), and the rule for names the list does not hold: the one rule capture, the
 * HTTP/2 redactor and the model server's request log all use. A module of its own, so that the
 * capture's HTTP/1 redactor gets the list without loading the HTTP/2 and HPACK code.
 */
import { SECRET_KEY } from "./json_secrets.ts";

export const DEFAULT_SECRET_HEADERS: readonly string[] = [
  "authorization",
  "proxy-authorization",
  "x-api-key",
  "x-goog-api-key",
  "api-key",
  "cookie",
  "set-cookie",
  "mcp-session-id",
  "x-amz-security-token",
];

/**
 * Whether a (lowercase) header name holds a secret: one of DEFAULT_SECRET_HEADERS, or a name
 * the rule for secret-named JSON keys masks (json_secrets.ts SECRET_KEY: `*-api-key`, `*token*`,
 * `*-auth`, `*authorization*`, `*-subscription-key` ...): gateways and proxies carry keys under
 * names of their own (`x-portkey-api-key`, `helicone-auth`, `cf-aig-authorization`,
 * `ocp-apim-subscription-key`, `private-token`), which the list alone would let through.
 * Over-redaction of a header that only looks like one is the safe side; token counts
 * (`x-ratelimit-remaining-tokens`) and `sec-websocket-key` stay readable.
 */
export function isDefaultSecretHeader(lowercaseName: string): boolean {
  return DEFAULT_SECRET_HEADERS.includes(lowercaseName) ||
    (HEADER_NAME.test(lowercaseName) && SECRET_KEY.test(lowercaseName));
}

/**
 * A header field name (RFC 9110's token, lowercase): what the HTTP/1 redactor judges at a
 * colon may be a body's line (`{"authorization": ...`), which the rule leaves alone.
 */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
