import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * Verification of AWS Signature Version 4 (header form), as S3 checks it, for the emulator's S3
 * server: the server recomputes the signature of the request it received with the secret it shares
 * with its clients, so only holders of the session's credentials can read or write.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What the verifier needs of a request: everything exactly as received. */
export interface SignedRequest {
  method: string;
  /** The raw request target (path and query as sent, still percent-encoded). */
  target: string;
  /** Node's `rawHeaders`: names and values alternating, as received. */
  rawHeaders: string[];
}

/** How far the request's X-Amz-Date may be from our clock (S3 allows 15 minutes). */
export const MAX_SKEW_MS = 15 * 60 * 1000;

/** Payload hashes that mean "the body is not covered by the signature" (accepted) or streamed in signed chunks (refused). */
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

/** Why a request is refused, with the S3 error code to answer. */
export class SignatureError extends Error {
  constructor(readonly code: "AccessDenied" | "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "RequestTimeTooSkewed" | "AuthorizationHeaderMalformed" | "NotImplemented", message: string) {
    super(message);
  }
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]{1,32})\/s3\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/** RFC 3986 encoding as SigV4 wants it (unreserved characters kept, everything else %XX upper-case). */
function encode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The canonical query string: every parameter decoded, re-encoded, sorted by name then value. */
function canonicalQuery(query: string): string {
  if (query === "") return "";
  const pairs = query.split("&").filter((p) => p !== "").map((part) => {
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? "" : part.slice(eq + 1);
    return [encode(decodeURIComponent(name.replace(/\+/g, "%20"))), encode(decodeURIComponent(value.replace(/\+/g, "%20")))] as const;
  });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

/** Header values by lower-case name, repeated headers joined with "," and whitespace collapsed. */
function headerValues(rawHeaders: string[]): Map<string, string> {
  const out = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const list = out.get(name) ?? out.set(name, []).get(name)!;
    list.push(rawHeaders[i + 1]!.trim().replace(/\s+/g, " "));
  }
  return new Map([...out].map(([k, v]) => [k, v.join(",")]));
}

/** `YYYYMMDDTHHMMSSZ` → epoch ms, or NaN. */
function parseAmzDate(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac("sha256", key).update(data, "utf8").digest();
const sha256Hex = (data: string): string => createHash("sha256").update(data, "utf8").digest("hex");

/**
 * Verifies the request's signature; returns the payload hash it declares (`x-amz-content-sha256`:
 * a hex SHA-256 the body must then match, or UNSIGNED-PAYLOAD). Throws SignatureError.
 */
export function verifySignature(req: SignedRequest, credentials: Credentials, now: number = Date.now()): string {
  const headers = headerValues(req.rawHeaders);
  const authorization = headers.get("authorization");
  if (authorization === undefined) {
    throw new SignatureError("AccessDenied", "requests must be signed (AWS Signature Version 4) with the credentials of this server's session");
  }
  const m = AUTH.exec(authorization);
  if (!m) throw new SignatureError("AuthorizationHeaderMalformed", "the Authorization header is not an AWS4-HMAC-SHA256 signature for service s3");
  const [, accessKeyId, day, region, signedList, signature] = m as unknown as [string, string, string, string, string, string];
  const keyA = Buffer.from(accessKeyId);
  const keyB = Buffer.from(credentials.accessKeyId);
  if (keyA.length !== keyB.length || !timingSafeEqual(keyA, keyB)) throw new SignatureError("InvalidAccessKeyId", "the access key is not this server's");
  const amzDate = headers.get("x-amz-date") ?? "";
  const at = parseAmzDate(amzDate);
  if (Number.isNaN(at) || amzDate.slice(0, 8) !== day) throw new SignatureError("AuthorizationHeaderMalformed", "X-Amz-Date is missing, malformed, or not the credential scope's date");
  if (Math.abs(now - at) > MAX_SKEW_MS) throw new SignatureError("RequestTimeTooSkewed", "the request time differs from the server's by more than 15 minutes");
  const payloadHash = headers.get("x-amz-content-sha256");
  if (payloadHash === undefined || !(payloadHash === UNSIGNED_PAYLOAD || /^[0-9a-f]{64}$/.test(payloadHash))) {
    if (payloadHash?.startsWith("STREAMING-")) throw new SignatureError("NotImplemented", `x-amz-content-sha256 ${payloadHash} (aws-chunked uploads) is not supported: send the body whole`);
    throw new SignatureError("AuthorizationHeaderMalformed", "x-amz-content-sha256 must be the body's hex SHA-256 or UNSIGNED-PAYLOAD");
  }
  const signed = signedList.split(";");
  for (const required of ["host", "x-amz-date", "x-amz-content-sha256"]) {
    if (!signed.includes(required)) throw new SignatureError("AccessDenied", `the signature must cover the ${required} header`);
  }
  const q = req.target.indexOf("?");
  const path = q < 0 ? req.target : req.target.slice(0, q);
  let query: string;
  try {
    query = canonicalQuery(q < 0 ? "" : req.target.slice(q + 1));
  } catch {
    throw new SignatureError("AuthorizationHeaderMalformed", "the query string holds a malformed percent-escape");
  }
  const canonicalHeaders = signed.map((name) => `${name}:${headers.get(name) ?? ""}\n`).join("");
  const canonical = [req.method, path, query, canonicalHeaders, signedList, payloadHash].join("\n");
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), "s3"), "aws4_request");
  const expected = Buffer.from(hmac(key, toSign).toString("hex"));
  const given = Buffer.from(signature);
  if (!timingSafeEqual(expected, given)) throw new SignatureError("SignatureDoesNotMatch", "the request signature does not match (wrong secret, or the request was changed)");
  return payloadHash;
}
