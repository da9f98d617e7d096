import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { XMLParser } from "fast-xml-parser";
import { S3Fault } from "./layout.js";
import { type ObjectInfo, ObjectStore } from "./objects.js";
import { type Route, routeOf } from "./route.js";
import { type Credentials, SignatureError, UNSIGNED_PAYLOAD, verifySignature } from "./sigv4.js";

/**
 * The request handler of the emulator's S3 server: a small, strict subset of S3 — exactly what the
 * stores, lib-storage and the emulator send — over ObjectStore. In order, before any body is read:
 * the SigV4 signature is checked against the session's credentials (403), the request's shape is
 * matched to one of the supported operations (400/405/501: no browser-form POST, no subresource, no
 * presigned URL ever reaches a parser), then headers are checked. Bodies stream to disk with their
 * hashes checked; nothing a client sends can crash the process (every failure is an S3 error answer).
 */

export interface S3HandlerOptions {
  root: string;
  /** Name of this server start's temp folder (see Layout). */
  session?: string;
  credentials: Credentials;
  /** Honour `If-None-Match: *` on PUT (default true); tests turn it off to mimic servers that ignore it. */
  conditionalWrites?: boolean;
  /** Clock (tests). */
  now?: () => number;
}

/** Largest single PUT (S3's limit). */
const MAX_OBJECT_BYTES = 5 * 1024 ** 3;
/** Largest CompleteMultipartUpload / CreateBucket body. */
const MAX_XML_BYTES = 1024 * 1024;
/** Part numbers S3 accepts. */
const MAX_PART = 10_000;

const NS = "http://s3.amazonaws.com/doc/2006-03-01/";

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** `<name>text</name>` for each defined field. */
function fields(values: Record<string, string | number | boolean | undefined>): string {
  return Object.entries(values).filter(([, v]) => v !== undefined).map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`).join("");
}

function sendXml(res: ServerResponse, status: number, root: string, inner: string, headers: Record<string, string> = {}): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${NS}">${inner}</${root}>`;
  res.writeHead(status, { "content-type": "application/xml", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

function objectHeaders(info: ObjectInfo): Record<string, string | number> {
  return {
    "content-length": info.size, "content-type": info.contentType, etag: `"${info.etag}"`,
    "last-modified": info.lastModified.toUTCString(), "accept-ranges": "none", ...info.meta,
  };
}

/** The declared body length; 411 when a body-carrying request declares none, 400/413 beyond `max`. */
function contentLength(req: IncomingMessage, max: number): number {
  const text = req.headers["content-length"];
  if (text === undefined) throw new S3Fault(411, "MissingContentLength", "a Content-Length header is required");
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new S3Fault(400, "InvalidArgument", "Content-Length is not a number");
  if (n > max) throw new S3Fault(400, "EntityTooLarge", `the body is larger than ${max} bytes`);
  return n;
}

/** Headers whose meaning this server does not implement: refused rather than ignored (never silently different). */
function refuseUnsupportedHeaders(req: IncomingMessage, op: Route["op"]): void {
  for (const name of Object.keys(req.headers)) {
    if (name.startsWith("x-amz-checksum-") || name === "x-amz-sdk-checksum-algorithm" || name === "x-amz-decoded-content-length"
      || (name === "content-encoding" && /aws-chunked/i.test(String(req.headers[name])))) {
      throw new S3Fault(501, "NotImplemented", `${name} is not supported: send whole bodies without checksums (requestChecksumCalculation: "WHEN_REQUIRED")`);
    }
    if (name === "range" || (name.startsWith("if-") && !(op === "PutObject" && name === "if-none-match") && !(op === "CompleteMultipartUpload" && name === "if-none-match"))) {
      throw new S3Fault(501, "NotImplemented", `the ${name} header is not supported by this server`);
    }
  }
  const inm = req.headers["if-none-match"];
  if (inm !== undefined && inm !== "*") throw new S3Fault(501, "NotImplemented", "only If-None-Match: * is supported");
}

function userMeta(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith("x-amz-meta-")).map(([k, v]) => [k, String(v)]));
}

const xml = new XMLParser({ ignoreAttributes: true, processEntities: false, parseTagValue: false, isArray: (name: string) => name === "Part" });

/** Reads a small XML body (bounded), parsed; 400 MalformedXML when it is not XML. */
async function readXml(req: IncomingMessage): Promise<Record<string, unknown>> {
  const length = contentLength(req, MAX_XML_BYTES);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > length) break;
    chunks.push(chunk as Buffer);
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- fast-xml-parser 5 still validates here; moving to fast-xml-validator is a dependency change for the S3 server's owner
    return xml.parse(Buffer.concat(chunks).toString("utf8"), true) as Record<string, unknown>;
  } catch {
    throw new S3Fault(400, "MalformedXML", "the body is not well-formed XML");
  }
}

function partsOf(doc: Record<string, unknown>): { number: number; etag: string }[] {
  const root = doc.CompleteMultipartUpload as { Part?: { PartNumber?: unknown; ETag?: unknown }[] } | undefined;
  if (!root || !Array.isArray(root.Part)) throw new S3Fault(400, "MalformedXML", "the body is not a CompleteMultipartUpload document");
  return root.Part.map((p) => {
    const number = Number(p.PartNumber);
    if (!Number.isInteger(number) || number < 1 || number > MAX_PART || typeof p.ETag !== "string") throw new S3Fault(400, "MalformedXML", "a Part needs a PartNumber (1–10000) and an ETag");
    return { number, etag: p.ETag };
  });
}

/** The S3 request handler. Never throws: every failure is an S3 error answer. */
export function createS3Handler(options: S3HandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const store = new ObjectStore(options.root, options.conditionalWrites ?? true, options.session);
  const now = options.now ?? Date.now;

  async function serve(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const method = req.method ?? "";
    const target = req.url ?? "";
    let payloadHash: string;
    try {
      payloadHash = verifySignature({ method, target, rawHeaders: req.rawHeaders }, options.credentials, now());
    } catch (e) {
      if (!(e instanceof SignatureError)) throw e;
      throw new S3Fault(e.code === "NotImplemented" ? 501 : e.code === "AuthorizationHeaderMalformed" ? 400 : 403, e.code, e.message);
    }
    const route = routeOf(method, target);
    refuseUnsupportedHeaders(req, route.op);
    const sha256 = payloadHash === UNSIGNED_PAYLOAD ? undefined : payloadHash;
    const headers = { "x-amz-request-id": requestId };
    const { bucket, key, query } = route;
    switch (route.op) {
      case "HeadBucket":
        res.writeHead(store.bucketExists(bucket) ? 200 : 404, headers).end();
        return;
      case "CreateBucket":
        // A CreateBucketConfiguration (region) may come along: read and ignore it, bounded.
        if (req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0") await readXml(req);
        store.createBucket(bucket);
        res.writeHead(200, { ...headers, location: `/${bucket}` }).end();
        return;
      case "ListObjectsV2":
        return list(res, bucket, query, headers);
      case "HeadObject":
      case "GetObject": {
        const opened = route.op === "GetObject" ? await store.open(bucket, key) : undefined;
        const info = opened?.info ?? (route.op === "HeadObject" ? store.head(bucket, key) : undefined);
        if (!info) throw new S3Fault(404, "NoSuchKey", "The specified key does not exist.");
        res.writeHead(200, { ...headers, ...objectHeaders(info) });
        if (!opened) return void res.end();
        // Also closes the file when the client goes away mid-download.
        await pipeline(opened.stream, res).catch(() => res.destroy());
        return;
      }
      case "PutObject": {
        const length = contentLength(req, MAX_OBJECT_BYTES);
        const etag = await store.put(bucket, key, req, length, {
          ifNoneMatch: req.headers["if-none-match"] === "*", meta: userMeta(req),
          ...(req.headers["content-type"] ? { contentType: req.headers["content-type"] } : {}),
          ...(sha256 ? { sha256 } : {}),
          ...(typeof req.headers["content-md5"] === "string" ? { contentMd5: req.headers["content-md5"] } : {}),
        });
        res.writeHead(200, { ...headers, etag: `"${etag}"` }).end();
        return;
      }
      case "CreateMultipartUpload": {
        const id = await store.createUpload(bucket, key, { meta: userMeta(req), ...(req.headers["content-type"] ? { contentType: req.headers["content-type"] } : {}) });
        sendXml(res, 200, "InitiateMultipartUploadResult", fields({ Bucket: bucket, Key: key, UploadId: id }), headers);
        return;
      }
      case "UploadPart": {
        const part = Number(query.get("partNumber"));
        if (!Number.isInteger(part) || part < 1 || part > MAX_PART) throw new S3Fault(400, "InvalidArgument", "partNumber must be an integer from 1 to 10000");
        const length = contentLength(req, MAX_OBJECT_BYTES);
        const etag = await store.putPart(bucket, key, query.get("uploadId") ?? "", part, req, length, {
          ...(sha256 ? { sha256 } : {}),
          ...(typeof req.headers["content-md5"] === "string" ? { contentMd5: req.headers["content-md5"] } : {}),
        });
        res.writeHead(200, { ...headers, etag: `"${etag}"` }).end();
        return;
      }
      case "CompleteMultipartUpload": {
        const parts = partsOf(await readXml(req));
        const etag = await store.completeUpload(bucket, key, query.get("uploadId") ?? "", parts, req.headers["if-none-match"] === "*");
        sendXml(res, 200, "CompleteMultipartUploadResult", fields({ Location: `/${bucket}/${key}`, Bucket: bucket, Key: key, ETag: `"${etag}"` }), headers);
        return;
      }
      case "AbortMultipartUpload":
        await store.abortUpload(bucket, key, query.get("uploadId") ?? "");
        res.writeHead(204, headers).end();
        return;
    }
  }

  function list(res: ServerResponse, bucket: string, query: Map<string, string>, headers: Record<string, string>): void {
    const maxKeys = query.has("max-keys") ? Number(query.get("max-keys")) : 1000;
    if (!Number.isInteger(maxKeys) || maxKeys < 0) throw new S3Fault(400, "InvalidArgument", "max-keys must be a non-negative integer");
    const prefix = query.get("prefix") ?? "";
    const delimiter = query.get("delimiter") ?? "";
    const token = query.get("continuation-token");
    const startAfter = query.get("start-after") ?? "";
    let after = startAfter;
    if (token !== undefined) {
      after = Buffer.from(token, "base64url").toString("utf8");
      if (Buffer.from(after).toString("base64url") !== token) throw new S3Fault(400, "InvalidArgument", "the continuation token is not valid");
    }
    const url = query.get("encoding-type") === "url";
    const out = (text: string) => (url ? encodeURIComponent(text).replace(/%2F/g, "/") : text);
    const listing = store.list(bucket, { prefix, delimiter, after, maxKeys: Math.min(maxKeys, 1000) });
    const last = listing.objects[listing.objects.length - 1]?.key;
    const contents = listing.objects.map((o) => `<Contents>${fields({
      Key: out(o.key), LastModified: o.info.lastModified.toISOString(), ETag: `"${o.info.etag}"`, Size: o.info.size, StorageClass: "STANDARD",
    })}</Contents>`).join("");
    const prefixes = listing.commonPrefixes.map((p) => `<CommonPrefixes>${fields({ Prefix: out(p) })}</CommonPrefixes>`).join("");
    sendXml(res, 200, "ListBucketResult", fields({
      Name: bucket, Prefix: out(prefix), Delimiter: delimiter ? out(delimiter) : undefined, MaxKeys: maxKeys,
      KeyCount: listing.objects.length + listing.commonPrefixes.length, IsTruncated: listing.isTruncated,
      ContinuationToken: token, StartAfter: startAfter ? out(startAfter) : undefined,
      NextContinuationToken: listing.isTruncated && last !== undefined ? Buffer.from(last).toString("base64url") : undefined,
      EncodingType: url ? "url" : undefined,
    }) + contents + prefixes, headers);
  }

  return (req, res) => {
    const requestId = randomBytes(8).toString("hex").toUpperCase();
    serve(req, res, requestId).catch((e: unknown) => {
      const fault = e instanceof S3Fault ? e : new S3Fault(500, "InternalError", e instanceof Error ? e.message : String(e));
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // A refused request's body is not read: answer, then close the connection.
      const close: Record<string, string> = !req.readableEnded ? { connection: "close" } : {};
      if (req.method === "HEAD") res.writeHead(fault.status, { "x-amz-request-id": requestId, ...close }).end();
      else sendXml(res, fault.status, "Error", fields({ Code: fault.code, Message: fault.message, RequestId: requestId }), { "x-amz-request-id": requestId, ...close });
      if (!req.readableEnded) res.once("finish", () => req.destroy());
    });
  };
}
