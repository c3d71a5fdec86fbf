/** An HTTPS client for the model server's tests: trusts the server's CA, posts JSON. */

import type { ModelServer } from "../server.ts";

export interface TestClient {
  post(
    path: string,
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
  request(method: string, path: string): Promise<Response>;
  fetch: typeof fetch;
  close(): void;
}

export async function testClient(server: ModelServer): Promise<TestClient> {
  const client = Deno.createHttpClient({
    caCerts: [await Deno.readTextFile(server.caCertPath)],
  });
  const f =
    ((input: RequestInfo | URL, init?: RequestInit) =>
      fetch(input, { ...init, client } as RequestInit)) as typeof fetch;
  return {
    fetch: f,
    post: (path, body, headers = {}) =>
      f(`${server.origin}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      }),
    request: (method, path) => f(`${server.origin}${path}`, { method }),
    close: () => client.close(),
  };
}
