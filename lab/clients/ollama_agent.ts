/**
 * The lab's Ollama client: the command line of `ollama_agent.mjs` (a small agent on Ollama's
 * native API through the pinned `ollama` npm package, run by node), and the plain-HTTP upload
 * server its scenario (`lab/scenarios/ollama_upload.json`) sends a file to — a stand-in for a
 * host on the LAN that takes whatever is POSTed to it.
 */
import { filePath } from "../../kit/file_path.ts";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const HERE = filePath(".", import.meta.url);

/** argv running the client against `hostUrl` (`http://host:port`) with `model` and `prompt`. */
export function ollamaAgentCommand(
  hostUrl: string,
  model: string,
  prompt: string,
): string[] {
  return ["node", `${HERE}ollama_agent.mjs`, hostUrl, model, prompt];
}

/** A request the upload server took. */
export interface Upload {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An upload server on `hostname` (port chosen by the kernel): answers `201 uploaded N bytes`. */
export async function startUploadServer(hostname: string): Promise<{
  hostPort: string;
  received: Upload[];
  close(): Promise<void>;
}> {
  const received: Upload[] = [];
  const server = createServer((req, res) => {
    const parts: Uint8Array[] = [];
    req.on("data", (c: Uint8Array) => parts.push(c));
    req.on("end", () => {
      const body = new TextDecoder().decode(
        parts.length ? new Uint8Array(parts.flatMap((p) => [...p])) : new Uint8Array(),
      );
      received.push({
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body,
      });
      const answer = `uploaded ${new TextEncoder().encode(body).length} bytes\n`;
      res.writeHead(201, {
        "content-type": "text/plain",
        "content-length": String(answer.length),
      });
      res.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, hostname, resolve));
  const port = (server.address() as AddressInfo).port;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    hostPort: `${host}:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
