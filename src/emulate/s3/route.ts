import { S3Fault, checkBucket, checkObjectKey } from "./layout.js";

/**
 * Which S3 operation a request is — the few the stores, lib-storage and the emulator use — decided
 * from the method, the path (path-style only: `/<bucket>` or `/<bucket>/<key>`) and the query's
 * subresource names, before any body is read. Every other shape (bucket POSTs such as browser form
 * uploads, ACL/policy/CORS/website subresources, presigned URLs, DELETE of objects) is refused here,
 * so no parser ever sees its body.
 */

export type Operation =
  | "HeadBucket" | "CreateBucket" | "ListObjectsV2"
  | "GetObject" | "HeadObject" | "PutObject"
  | "CreateMultipartUpload" | "UploadPart" | "CompleteMultipartUpload" | "AbortMultipartUpload";

export interface Route {
  op: Operation;
  bucket: string;
  /** The object key (percent-decoded, checked), for object operations. */
  key: string;
  /** Query parameters, decoded. */
  query: Map<string, string>;
}

/** Query parameters each operation accepts (`x-id`, which the AWS SDK adds, is accepted everywhere). */
const ACCEPTS: Record<Operation, readonly string[]> = {
  HeadBucket: [], CreateBucket: [],
  ListObjectsV2: ["list-type", "prefix", "delimiter", "max-keys", "continuation-token", "start-after", "encoding-type", "fetch-owner"],
  GetObject: [], HeadObject: [], PutObject: [],
  CreateMultipartUpload: ["uploads"], UploadPart: ["partNumber", "uploadId"],
  CompleteMultipartUpload: ["uploadId"], AbortMultipartUpload: ["uploadId"],
};

function parseQuery(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of raw.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    try {
      const name = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, "%20"));
      const value = eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, "%20"));
      if (out.has(name)) throw new S3Fault(400, "InvalidArgument", `query parameter ${JSON.stringify(name)} is given twice`);
      out.set(name, value);
    } catch (e) {
      if (e instanceof S3Fault) throw e;
      throw new S3Fault(400, "InvalidURI", "the query string holds a malformed percent-escape");
    }
  }
  return out;
}

function operation(method: string, hasKey: boolean, query: Map<string, string>): Operation {
  const q = (name: string) => query.has(name);
  if (!hasKey) {
    if (method === "HEAD") return "HeadBucket";
    if (method === "PUT") return "CreateBucket";
    if (method === "GET" && query.get("list-type") === "2") return "ListObjectsV2";
  } else if (method === "GET") return "GetObject";
  else if (method === "HEAD") return "HeadObject";
  else if (method === "PUT") return q("uploadId") || q("partNumber") ? "UploadPart" : "PutObject";
  else if (method === "POST") {
    if (q("uploads")) return "CreateMultipartUpload";
    if (q("uploadId")) return "CompleteMultipartUpload";
  } else if (method === "DELETE" && q("uploadId")) return "AbortMultipartUpload";
  const what = `${method} ${hasKey ? "object" : "bucket"}${query.size ? ` with ${[...query.keys()].join(", ")}` : ""}`;
  const s3Method = ["GET", "HEAD", "PUT", "POST", "DELETE"].includes(method);
  throw new S3Fault(s3Method ? 501 : 405, s3Method ? "NotImplemented" : "MethodNotAllowed", `this S3 server does not implement ${what}`);
}

/** Parses a request target into its operation; throws S3Fault (400 for a bad path, 501/405 for other shapes). */
export function routeOf(method: string, target: string): Route {
  if (!target.startsWith("/")) throw new S3Fault(400, "InvalidURI", "the request target must be a path (path-style addressing)");
  const q = target.indexOf("?");
  const rawPath = q < 0 ? target : target.slice(0, q);
  const query = parseQuery(q < 0 ? "" : target.slice(q + 1));
  const slash = rawPath.indexOf("/", 1);
  const rawBucket = slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash);
  const rawKey = slash < 0 ? "" : rawPath.slice(slash + 1);
  if (rawBucket === "") throw new S3Fault(501, "NotImplemented", "this S3 server does not implement service-level requests (ListBuckets)");
  if (query.has("X-Amz-Signature") || query.has("X-Amz-Credential")) {
    throw new S3Fault(403, "AccessDenied", "presigned URLs are not accepted: sign requests with the Authorization header");
  }
  let bucket: string;
  let key = "";
  try {
    bucket = decodeURIComponent(rawBucket);
    key = decodeURIComponent(rawKey);
  } catch {
    throw new S3Fault(400, "InvalidURI", "the path holds a malformed percent-escape");
  }
  checkBucket(bucket);
  const op = operation(method, rawKey !== "", query);
  if (rawKey !== "") checkObjectKey(key);
  const accepted = ACCEPTS[op];
  for (const name of query.keys()) {
    if (name !== "x-id" && !accepted.includes(name)) {
      throw new S3Fault(501, "NotImplemented", `this S3 server does not implement the ${JSON.stringify(name)} parameter of ${op}`);
    }
  }
  return { op, bucket, key, query };
}
