import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type ApiRequest, type ApiResponse, type RunsBackend, errorResponse, handleApiRequest } from "./routes.js";
import { MAX_BODY_BYTES } from "./schema.js";

/** A running HTTP server of the runs API. */
export interface ApiServer {
  /** Base URL, e.g. `http://127.0.0.1:8787`. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Options of `listenApi`. */
export interface ListenOptions {
  /** Port. Default 8787; 0 picks a free one. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1 (the API has no auth locally: keep it off the network). */
  host?: string;
  /** Called with each request's method, path and headers before routing (logging, tests). */
  onRequest?: (request: { method: string; path: string; headers: IncomingMessage["headers"] }) => void;
}

/**
 * Serves the runs API on node:http. Bodies above 256 KiB are refused with 413 while streaming
 * (nothing larger is buffered). SigV4 `Authorization` headers are accepted and not verified: the
 * local server binds to loopback and has no users.
 */
export async function listenApi(backend: RunsBackend, options: ListenOptions = {}): Promise<ApiServer> {
  const server = createServer((req, res) => {
    void respond(backend, req, res, options).catch((err: unknown) => send(res, errorResponse(500, "InternalError", String(err))));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8787, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    server,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function respond(backend: RunsBackend, req: IncomingMessage, res: ServerResponse, options: ListenOptions): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const method = req.method ?? "GET";
  options.onRequest?.({ method, path: url.pathname, headers: req.headers });
  const body = await readBody(req);
  if (body === undefined) {
    send(res, errorResponse(413, "PayloadTooLarge", `request body is larger than ${MAX_BODY_BYTES} bytes`));
    return;
  }
  const request: ApiRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), body: body === "" ? undefined : body };
  send(res, await handleApiRequest(backend, request));
}

/** The body as text, or undefined when it exceeds the limit (the rest is drained, not kept). */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, response: ApiResponse): void {
  if (res.headersSent) return;
  const text = JSON.stringify(response.body);
  res.writeHead(response.status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
