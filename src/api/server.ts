import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  HttpRefusal, MAX_REQUEST_BYTES, checkJsonContentType, checkRequest, drain, isLoopback, newToken, readBody, requestUrl,
} from "./guard.js";
import { type ApiRequest, type ApiResponse, type RunsBackend, errorResponse, handleApiRequest } from "./routes.js";

/** A running HTTP server of the runs API. */
export interface ApiServer {
  /** Base URL, e.g. `http://127.0.0.1:8787`. */
  url: string;
  /** The bearer token clients must send; undefined when started with `noAuth`. */
  token: string | undefined;
  server: Server;
  close(): Promise<void>;
}

/** Options of `listenApi`. */
export interface ListenOptions {
  /** Port. Default 8787; 0 picks a free one. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** The bearer token to require. Default: a fresh random one (see `ApiServer.token`). */
  token?: string;
  /** Require no token (refused unless `host` is loopback). Default false. */
  noAuth?: boolean;
  /** Called with each request's method, path and headers before routing (logging, tests). */
  onRequest?: (request: { method: string; path: string; headers: IncomingMessage["headers"] }) => void;
}

/**
 * Serves the runs API on node:http behind the guard of `guard.ts` (Host, Origin, token, JSON
 * content type, body and nesting limits). SigV4 `Authorization` headers are not accepted locally:
 * clients send the server's bearer token instead.
 */
export async function listenApi(backend: RunsBackend, options: ListenOptions = {}): Promise<ApiServer> {
  const host = options.host ?? "127.0.0.1";
  if (options.noAuth && !isLoopback(host)) {
    throw new Error(`no-auth is only allowed on a loopback address, not ${host}: anyone who can reach ${host} could start runs`);
  }
  const token = options.noAuth ? undefined : options.token ?? newToken();
  let port = 0;
  const server = createServer((req, res) => {
    void respond(backend, req, res, { ...options, port, token }).catch((err: unknown) => send(res, errorResponse(500, "InternalError", String(err))));
  });
  // A client that trickles a request cannot hold a connection for long.
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8787, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  port = address.port;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    token,
    server,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function respond(backend: RunsBackend, req: IncomingMessage, res: ServerResponse, options: ListenOptions & { port: number; token: string | undefined }): Promise<void> {
  const method = req.method ?? "GET";
  try {
    const url = requestUrl(req);
    options.onRequest?.({ method, path: url.pathname, headers: req.headers });
    checkRequest(req, { port: options.port, ...(options.token !== undefined ? { token: options.token } : {}) });
    checkJsonContentType(req);
    const body = await readBody(req, MAX_REQUEST_BYTES);
    const request: ApiRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), body: body === "" ? undefined : body };
    send(res, await handleApiRequest(backend, request));
  } catch (err) {
    if (!(err instanceof HttpRefusal)) throw err;
    // What is left of a refused request's body is read and dropped (bounded) so the client sees the
    // answer; then the connection closes.
    await drain(req);
    send(res, errorResponse(err.status, err.code, err.message), { ...err.headers, connection: "close" });
    if (!req.readableEnded) req.destroy();
  }
}

function send(res: ServerResponse, response: ApiResponse, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(response.body);
  res.writeHead(response.status, {
    "content-type": "application/json", "content-length": Buffer.byteLength(text),
    "x-content-type-options": "nosniff", "cache-control": "no-store", ...headers,
  });
  res.end(text);
}
