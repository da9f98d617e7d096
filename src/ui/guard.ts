import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/**
 * The request checks of `runnable ui`, the same rules as `runnable serve`: Host must name this
 * server (an IP literal or localhost, with its port: a DNS-rebinding page's requests carry its own
 * name) → 421; a browser request from another origin (Origin, Sec-Fetch-Site) → 403; the token
 * printed at start, as `Authorization: Bearer` or `?token=` (the URL the user opens, downloads) → 401.
 * One function, so the shared guard of `serve` (security's src/api/guard.ts) can take its place.
 */

export class Refusal extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** A fresh random token (256 bits, URL-safe). */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Throws Refusal. `token` undefined: no token needed (the app's static files, which hold no data). */
export function guardRequest(req: IncomingMessage, options: { port: number; token: string | undefined }): void {
  const hostHeader = req.headers.host ?? "";
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(hostHeader);
  const name = m?.[1]?.toLowerCase() ?? "";
  const known = isIP(name.replace(/^\[|\]$/g, "")) !== 0 || name === "localhost";
  if (!m || !known || Number(m[2] ?? 80) !== options.port) {
    throw new Refusal(421, "MisdirectedRequest", `Host ${JSON.stringify(hostHeader)} is not this server: use http://127.0.0.1:${options.port}`);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${hostHeader}`) throw new Refusal(403, "ForbiddenOrigin", `requests from ${JSON.stringify(origin)} are refused`);
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") throw new Refusal(403, "ForbiddenOrigin", `cross-site requests (Sec-Fetch-Site: ${site}) are refused`);
  if (options.token === undefined) return;
  const header = req.headers.authorization;
  const given = header !== undefined
    ? /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header)?.[1]
    : new URL(req.url ?? "/", "http://localhost").searchParams.get("token") ?? undefined;
  if (given === undefined) throw new Refusal(401, "Unauthorized", "an access token is required: open the URL `runnable ui` printed (it holds ?token=…)");
  const a = Buffer.from(given);
  const b = Buffer.from(options.token);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new Refusal(401, "Unauthorized", "the access token is not this server's");
}
