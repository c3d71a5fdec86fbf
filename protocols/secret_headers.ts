/**
 * Header names whose values are secrets (lowercase; `mcp-session-id`: an MCP streamable-HTTP
 * session, which whoever holds it can use; `x-amz-security-token`: the AWS session token of
 * temporary credentials, sent beside a SigV4 `authorization` on Bedrock calls; `api-key`: Azure
 * OpenAI's key): the one list capture, the HTTP/2
 * redactor and the model server's request log all use. A module of its own, so that the
 * capture's HTTP/1 redactor gets the list without loading the HTTP/2 and HPACK code.
 */
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

/** Whether a (lowercase) header name is in DEFAULT_SECRET_HEADERS. */
export function isDefaultSecretHeader(lowercaseName: string): boolean {
  return DEFAULT_SECRET_HEADERS.includes(lowercaseName);
}
