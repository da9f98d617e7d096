import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { RUN_ID } from "../core/protocol.js";
import { hashFile } from "./digest.js";
import { checkKey } from "./keys.js";
import { checkCatalogName } from "./safe-path.js";
import type { BlobStore, CatalogStore, FileDigest, ObjectFormat } from "./types.js";

const OBJECTS = ".objects/";
const INTERNAL = ".internal/";

function runPrefix(runId: string): string {
  if (!RUN_ID.test(runId)) throw new Error(`invalid run id ${JSON.stringify(runId)}: must match ${RUN_ID.source}`);
  return `catalog/${runId}/`;
}

/**
 * A CatalogStore over any BlobStore. Layout under `catalog/<runId>/`: user files by their catalog
 * name; `object()` returns at `.objects/<stepPath>/<name>.v8` (notebook steps: `.pickle`); internal documents at
 * `.internal/<name>`. Names are checked by `checkCatalogName`, which reserves the two dot-folders.
 */
export class BlobCatalogStore implements CatalogStore {
  constructor(readonly blob: BlobStore) {}

  async put(runId: string, name: string, file: string, options: { storeCopy?: boolean } = {}): Promise<FileDigest> {
    const key = runPrefix(runId) + checkCatalogName(name);
    // storeCopy: false records name and hash only; the bytes stay in the working directory.
    if (options.storeCopy === false) return hashFile(file);
    return this.blob.putFile(key, file);
  }

  async putBytes(runId: string, name: string, bytes: Uint8Array): Promise<FileDigest> {
    await this.blob.put(runPrefix(runId) + checkCatalogName(name), bytes);
    return { md5: createHash("md5").update(bytes).digest("hex"), size: bytes.byteLength };
  }

  async get(runId: string, name: string, file: string): Promise<FileDigest | undefined> {
    return this.blob.getFile(runPrefix(runId) + checkCatalogName(name), file);
  }

  async open(runId: string, name: string): Promise<{ size: number; body: Readable } | undefined> {
    return this.blob.openRead(runPrefix(runId) + checkCatalogName(name));
  }

  async list(runId: string): Promise<string[]> {
    const prefix = runPrefix(runId);
    return (await this.blob.list(prefix))
      .map((k) => k.slice(prefix.length))
      .filter((n) => !n.startsWith(OBJECTS) && !n.startsWith(INTERNAL));
  }

  async putObject(runId: string, stepPath: string, name: string, bytes: Uint8Array, format: ObjectFormat = "v8"): Promise<string> {
    const ref = checkKey(`${OBJECTS}${stepPath}/${name}.${format}`);
    if (stepPath.includes("/") || name.includes("/")) throw new Error(`invalid object ${JSON.stringify(name)} of step ${stepPath}`);
    await this.blob.put(runPrefix(runId) + ref, bytes);
    return ref;
  }

  async getObject(runId: string, ref: string): Promise<Uint8Array | undefined> {
    // A ref comes back through parameters ({"$object": ref}): only ever read objects with it.
    if (!ref.startsWith(OBJECTS)) throw new Error(`invalid object reference ${JSON.stringify(ref)}`);
    return this.blob.get(runPrefix(runId) + checkKey(ref));
  }

  async putInternal(runId: string, name: string, body: string): Promise<string> {
    const key = runPrefix(runId) + INTERNAL + checkKey(name);
    await this.blob.put(key, body);
    return key;
  }

  async getInternal(runId: string, name: string): Promise<string | undefined> {
    const bytes = await this.blob.get(runPrefix(runId) + INTERNAL + checkKey(name));
    return bytes && Buffer.from(bytes).toString("utf8");
  }
}
