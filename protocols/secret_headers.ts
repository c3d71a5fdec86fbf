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
 * So is a name ending in `-key` (KEY_NAME). Over-redaction of a header that only looks like one
 * is the safe side; token counts (`x-ratelimit-remaining-tokens`) and `sec-websocket-key` stay
 * readable. (A value that begins with a known key's prefix is masked whatever its name too:
 * over HTTP/1 by capture/redact.ts, over HTTP/2 by http2_redactor.ts, by one rule,
 * protocols/head_line_rule.ts keyPrefixOf / valueHasKeyPrefix.)
 */
export function isDefaultSecretHeader(lowercaseName: string): boolean {
  return DEFAULT_SECRET_HEADERS.includes(lowercaseName) ||
    (HEADER_NAME.test(lowercaseName) &&
      (SECRET_KEY.test(lowercaseName) ||
        (KEY_NAME.test(lowercaseName) && !NONCE_NAME.test(lowercaseName))));
}

/**
 * A name that ends in a `key` word (`x-custom-key`, `x-client-key`, `x-llm-key`): a key by its
 * name, though no JSON key is by that rule (`"cache_key"`); but for nonces (NONCE_NAME).
 */
const KEY_NAME = /[_-]key$/;
/**
 * Keys that are nonces, no credentials: `sec-websocket-key` (the handshake's, which the
 * analysis checks the answer against), `idempotency-key` (a retry's request id).
 */
const NONCE_NAME = /(?:^|[_-])(?:sec-websocket|idempotency)[_-]key$/;

/**
 * A header field name (RFC 9110's token, lowercase): what the HTTP/1 redactor judges at a
 * colon may be a body's line (`{"authorization": ...`), which the rule leaves alone.
 */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
