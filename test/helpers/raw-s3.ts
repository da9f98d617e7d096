/**
 * Raw HTTP requests to an S3 endpoint, signed (SigV4, by the AWS SDK's own signer) or not, with the
 * path sent exactly as given (`..`, `%2F`, double encodings stay as written) — what an attacker
 * with or without the credentials can send.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { createHash } from "node:crypto";
import { Agent, request } from "node:http";

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RawRequest {
  method: string;
  /** Path and query exactly as sent. */
  target: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Sign with these credentials (the payload hash is the body's unless `unsignedPayload`). */
  sign?: { accessKeyId: string; secretAccessKey: string };
  unsignedPayload?: boolean;
  /** Sign this body's hash instead of the one sent (a body changed in transit). */
  signedBody?: string;
  /** Signing time (default now). */
  at?: Date;
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** The query object the signer wants, from a raw query string (undefined when it cannot be decoded). */
function queryOf(raw: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  try {
    for (const part of raw.split("&")) {
      if (!part) continue;
      const eq = part.indexOf("=");
      out[decodeURIComponent(eq < 0 ? part : part.slice(0, eq))] = eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1));
    }
  } catch {
    return undefined;
  }
  return out;
}

export async function rawS3(endpoint: string, r: RawRequest): Promise<RawAnswer> {
  const u = new URL(endpoint);
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body);
  let headers: Record<string, string> = { host: u.host, ...r.headers };
  if (r.body !== undefined && headers["content-length"] === undefined) headers["content-length"] = String(body.length);
  if (r.sign) {
    const q = r.target.indexOf("?");
    const query = queryOf(q < 0 ? "" : r.target.slice(q + 1)) ?? {};
    const signer = new SignatureV4({ service: "s3", region: "us-east-1", credentials: r.sign, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
    headers["x-amz-content-sha256"] = r.unsignedPayload ? "UNSIGNED-PAYLOAD" : createHash("sha256").update(r.signedBody ?? body).digest("hex");
    const signed = await signer.sign({
      method: r.method, protocol: "http:", hostname: u.hostname, port: Number(u.port),
      path: q < 0 ? r.target : r.target.slice(0, q), query, headers,
    }, r.at ? { signingDate: r.at } : {});
    headers = signed.headers;
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: r.method, path: r.target, headers, setHost: false, agent }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}
