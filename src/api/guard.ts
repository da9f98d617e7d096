import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/**
 * The rules every local HTTP server of runnable-ts applies before routing (`runnable serve`,
 * `runnable ui`). A server on 127.0.0.1 is reachable by every process on the machine and by
 * every web page the developer opens: a page can send requests to loopback (CSRF) and can point a
 * DNS name it controls at 127.0.0.1 to read answers (DNS rebinding). So, in order:
 *
 * 1. `Host` must be an IP literal or `localhost`, with the server's port — a rebinding page's
 *    requests carry its own DNS name (421);
 * 2. a browser request from another origin is refused: `Origin` must be this server's own origin,
 *    `Sec-Fetch-Site` same-origin or none (403);
 * 3. a bearer token generated at start (and printed once) is required on every route, unless the
 *    server was started with `--no-auth` on loopback (401);
 * 4. a request with a body must be `application/json` — what an HTML form or a `text/plain` fetch
 *    (which skip CORS preflight) cannot send (415); bodies are bounded (413) and JSON nesting is
 *    bounded before it is parsed (400), so no input reaches a recursive parser unchecked.
 */

/** Largest request body any local server reads. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** Deepest JSON nesting accepted in a request body. */
export const MAX_JSON_DEPTH = 100;

export interface GuardOptions {
  /** The port the server listens on (Host must carry it). */
  port: number;
  /** Bearer token every request must carry; undefined: no authentication (`--no-auth`, loopback only). */
  token?: string;
  /** Also accept the token as `?token=` (a browser's first page load). Default false. */
  queryToken?: boolean;
  /** Host names accepted besides IP literals and `localhost`. Default none. */
  allowedHosts?: readonly string[];
  /** How the client gets the token, for the 401 message. Default: the `Authorization: Bearer` header. */
  tokenHint?: string;
}

/** A refusal: the status, an error code and a message for the JSON error body. */
export class HttpRefusal extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** A fresh random token (256 bits, URL-safe). */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** True for 127.0.0.0/8, ::1, ::ffff:127.x and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Host header → [name, port]; undefined when malformed. */
function splitHost(value: string): [string, number] | undefined {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m) return undefined;
  return [m[1]!.toLowerCase(), m[2] === undefined ? 80 : Number(m[2])];
}

/** The URL of a request, or a 400 refusal (a malformed target must never reach a router). */
export function requestUrl(req: IncomingMessage): URL {
  try {
    return new URL(req.url ?? "/", "http://localhost");
  } catch {
    throw new HttpRefusal(400, "BadRequest", "the request target is not a valid URL path");
  }
}

/** Checks Host, Origin, Sec-Fetch-Site and the token; throws HttpRefusal. */
export function checkRequest(req: IncomingMessage, options: GuardOptions): void {
  const hostHeader = req.headers.host;
  if (!hostHeader) throw new HttpRefusal(400, "BadRequest", "the Host header is missing");
  const host = splitHost(hostHeader);
  const known = host && (isIP(host[0].replace(/^\[|\]$/g, "")) !== 0 || host[0] === "localhost" || (options.allowedHosts ?? []).includes(host[0]));
  if (!host || !known || host[1] !== options.port) {
    throw new HttpRefusal(421, "MisdirectedRequest", `Host ${JSON.stringify(hostHeader)} is not this server: use http://127.0.0.1:${options.port} (or localhost)`);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${hostHeader}`) {
    throw new HttpRefusal(403, "ForbiddenOrigin", `requests from ${JSON.stringify(origin)} are refused: only this server's own pages may call it`);
  }
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    throw new HttpRefusal(403, "ForbiddenOrigin", `cross-site requests (Sec-Fetch-Site: ${site}) are refused`);
  }
  if (options.token !== undefined) checkToken(req, options);
}

function checkToken(req: IncomingMessage, options: GuardOptions): void {
  const header = req.headers.authorization;
  let given: string | undefined;
  if (header !== undefined) given = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header)?.[1];
  else if (options.queryToken) given = requestUrl(req).searchParams.get("token") ?? undefined;
  const challenge = { "www-authenticate": 'Bearer realm="runnable"' };
  if (given === undefined) {
    throw new HttpRefusal(401, "Unauthorized", `an access token is required: ${options.tokenHint ?? "send `Authorization: Bearer <token>` with the token the server printed at start (`token: …`)"}`, challenge);
  }
  const a = Buffer.from(given);
  const b = Buffer.from(options.token!);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new HttpRefusal(401, "Unauthorized", "the access token is not this server's", challenge);
}

/** A request with a body must declare JSON (415 otherwise); POST always counts as having one. */
export function checkJsonContentType(req: IncomingMessage): void {
  const bodied = req.method === "POST" || req.method === "PUT" || req.method === "PATCH" || req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0";
  if (!bodied) return;
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    throw new HttpRefusal(415, "UnsupportedMediaType", `request bodies must be sent as Content-Type: application/json${type ? ` (got ${type})` : ""}`);
  }
}

/**
 * Most bytes of a refused request read and thrown away before answering. Clients (curl, Node, fetch)
 * only see an early answer reliably once they have sent their body; past this the connection is
 * cut instead.
 */
const DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * Reads what is left of a request's body and throws it away (at most DRAIN_BYTES, then the
 * connection is destroyed), so the answer that follows reaches the client.
 */
export function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded || req.destroyed) return Promise.resolve();
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > DRAIN_BYTES) return Promise.resolve();
  return new Promise((resolve) => {
    let size = 0;
    req.removeAllListeners("data");
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_BYTES) {
        req.removeAllListeners("data");
        resolve();
      }
    });
    req.once("end", () => resolve());
    req.once("error", () => resolve());
    req.once("close", () => resolve());
    req.resume();
  });
}

/**
 * Reads the body as UTF-8 text, at most `limit` bytes: past it, the request is refused with 413
 * (a Content-Length over the limit before anything is kept).
 */
export async function readBody(req: IncomingMessage, limit = MAX_REQUEST_BYTES): Promise<string> {
  const tooLarge = () => new HttpRefusal(413, "PayloadTooLarge", `request body is larger than ${limit} bytes`);
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge();
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) reject(tooLarge());
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpRefusal(400, "BadRequest", "request body is not UTF-8 text");
  }
}

/**
 * The nesting depth of a JSON text, counted without parsing (strings skipped), stopping as soon
 * as it passes `max`: a 100,000-deep document is refused in linear time instead of overflowing
 * the stack of a recursive validator later.
 */
export function jsonDepthExceeds(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** JSON.parse with the depth limit; every failure is a 400 naming the problem. */
export function parseJson(text: string, max = MAX_JSON_DEPTH): unknown {
  if (jsonDepthExceeds(text, max)) throw new HttpRefusal(400, "BadRequest", `request body is nested deeper than ${max} levels`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpRefusal(400, "BadRequest", `request body is not JSON: ${(err as Error).message}`);
  }
}
