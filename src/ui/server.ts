import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pipeline } from "node:stream/promises";
import { RunNotFoundError, UnsafePathError, UsageError } from "../sdk/errors.js";
import type { Assets } from "./assets.js";
import { UiData, etagOf } from "./data.js";
import { HttpRefusal as Refusal, checkRequest, requestUrl } from "../api/guard.js";
import type { RunSource } from "./source.js";

/**
 * `runnable ui`'s HTTP server: the app's static files, and a read-only JSON API over a RunSource
 * (`/api/…`, GET only). Every request passes the guard (Host, Origin, token); answers carry a
 * strict Content-Security-Policy (scripts and styles from this server only, no inline code) and
 * are never cached, except by ETag for polling.
 */

export interface UiServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export interface UiServerOptions {
  source: RunSource;
  assets: Assets;
  token: string;
  port?: number;
  host?: string;
  /** How a failed run's retry command names the CLI ("npx runnable"). Default "runnable". */
  cli?: string;
}

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
};

const STATIC: Record<string, string> = { "/": "index.html", "/index.html": "index.html", "/app.js": "app.js", "/app.css": "app.css" };

type Query = Record<string, string | undefined>;
type Route = { pattern: RegExp; handle: (data: UiData, match: string[], query: Query) => Promise<unknown> };

const ROUTES: Route[] = [
  { pattern: /^\/api\/info$/, handle: async (d) => ({ location: d.source.location, storeFlags: d.source.storeFlags, downloads: d.source.openFile !== undefined }) },
  { pattern: /^\/api\/runs$/, handle: (d, _m, q) => d.runs(q) },
  { pattern: /^\/api\/runs\/([^/]+)$/, handle: (d, m) => d.run(m[0]!) },
  { pattern: /^\/api\/compare$/, handle: (d, _m, q) => d.compare((q.ids ?? "").split(",").filter(Boolean)) },
  { pattern: /^\/api\/metrics$/, handle: (d, _m, q) => d.metrics(q.pipeline ?? "") },
];

/** Catalog names are paths: everything after `/files/` (each segment URL-encoded). */
const FILE = /^\/api\/runs\/([^/]+)\/files\/(.+)$/;

export async function listenUi(options: UiServerOptions): Promise<UiServer> {
  const data = new UiData(options.source, options.cli);
  let port = options.port ?? 8788;
  const server = createServer((req, res) => {
    void respond(req, res, data, options, port).catch((err: unknown) => sendError(res, err));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  port = address.port;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${port}`,
    server,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function respond(req: IncomingMessage, res: ServerResponse, data: UiData, options: UiServerOptions, port: number): Promise<void> {
  const url = requestUrl(req);
  const asset = STATIC[url.pathname];
  // The app's files hold no data: they need no token (a page cannot add one to a <script src>).
  const token = asset || url.pathname === "/favicon.ico" ? undefined : options.token;
  checkRequest(req, { port, queryToken: true, tokenHint: "open the URL `runnable ui` printed (it holds ?token=…)", ...(token !== undefined ? { token } : {}) });
  if (req.method !== "GET" && req.method !== "HEAD") throw new Refusal(405, "MethodNotAllowed", `${req.method} is not allowed: this server only reads`);
  if (url.pathname === "/favicon.ico") {
    res.writeHead(204, SECURITY_HEADERS);
    res.end();
    return;
  }
  if (asset) {
    const file = options.assets.get(asset)!;
    res.writeHead(200, { ...SECURITY_HEADERS, "content-type": file.type, "content-length": file.body.length });
    res.end(req.method === "HEAD" ? undefined : file.body);
    return;
  }
  const query: Query = Object.fromEntries([...url.searchParams].filter(([k]) => k !== "token"));
  const file = FILE.exec(url.pathname);
  if (file) return download(req, res, data, decode(file[1]!), decode(file[2]!), query.inline === "1");
  for (const route of ROUTES) {
    const m = route.pattern.exec(url.pathname);
    if (!m) continue;
    const text = JSON.stringify(await route.handle(data, m.slice(1).map(decode), query));
    const etag = etagOf(text);
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, { ...SECURITY_HEADERS, etag });
      res.end();
      return;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, "content-type": "application/json; charset=utf-8", etag, "content-length": Buffer.byteLength(text) });
    res.end(req.method === "HEAD" ? undefined : text);
    return;
  }
  throw new Refusal(404, "NotFound", `no route ${url.pathname}`);
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new Refusal(400, "BadRequest", "malformed %-escape in the path");
  }
}

/** Streams a catalog file: as an attachment, or (`?inline=1`, logs shown in the page) as plain text. */
async function download(req: IncomingMessage, res: ServerResponse, data: UiData, runId: string, name: string, inline: boolean): Promise<void> {
  const file = await data.file(runId, name);
  if (!file) throw new Refusal(404, "NotFound", `run ${runId} has no catalog file ${JSON.stringify(name)}`);
  const base = name.slice(name.lastIndexOf("/") + 1);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    // Never rendered as a page by this origin: text for inline previews, bytes otherwise.
    "content-type": inline ? "text/plain; charset=utf-8" : "application/octet-stream",
    "content-length": file.size,
    "content-disposition": `${inline ? "inline" : "attachment"}; filename="${base.replace(/[^A-Za-z0-9._-]/g, "_")}"; filename*=UTF-8''${encodeURIComponent(base)}`,
  });
  if (req.method === "HEAD") {
    file.body.destroy();
    res.end();
    return;
  }
  await pipeline(file.body, res);
}

function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const [status, code] =
    err instanceof Refusal ? [err.status, err.code]
    : err instanceof RunNotFoundError ? [404, "RunNotFound"]
    : err instanceof UnsafePathError || err instanceof UsageError ? [400, "BadRequest"]
    : [500, "InternalError"];
  const text = JSON.stringify({ error: { code, message: err instanceof Error ? err.message : String(err) } });
  res.writeHead(status, { ...SECURITY_HEADERS, "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
