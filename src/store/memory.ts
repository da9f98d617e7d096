import { createReadStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { CHUNK_BYTES, hashBytes, toBytes } from "./digest.js";
import { checkKey, commonPrefixes, sortKeys } from "./keys.js";
import type { BlobStore, FileDigest } from "./types.js";

/**
 * A BlobStore in process memory: for tests and for throw-away runs. Operations are atomic because
 * each one completes in a single synchronous step of the event loop once its bytes are ready.
 */
export class MemoryBlobStore implements BlobStore {
  private readonly objects = new Map<string, Uint8Array>();
  readonly location = "memory:";

  async put(key: string, body: Uint8Array | string, options: { ifAbsent?: boolean } = {}): Promise<boolean> {
    checkKey(key);
    if (options.ifAbsent && this.objects.has(key)) return false;
    // Copy: the caller may reuse its buffer after we return.
    this.objects.set(key, Uint8Array.from(toBytes(body)));
    return true;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const bytes = this.objects.get(checkKey(key));
    return bytes && Uint8Array.from(bytes);
  }

  async putFile(key: string, file: string): Promise<FileDigest> {
    checkKey(key);
    const chunks: Buffer[] = [];
    for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    this.objects.set(key, bytes);
    return hashBytes(bytes);
  }

  async getFile(key: string, file: string): Promise<FileDigest | undefined> {
    const bytes = this.objects.get(checkKey(key));
    if (!bytes) return undefined;
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, bytes);
    return hashBytes(bytes);
  }

  async openRead(key: string): Promise<{ size: number; body: Readable } | undefined> {
    const bytes = this.objects.get(checkKey(key));
    return bytes && { size: bytes.length, body: Readable.from([Buffer.from(bytes)]) };
  }

  async list(prefix: string): Promise<string[]> {
    return sortKeys([...this.objects.keys()].filter((k) => k.startsWith(prefix)));
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    return commonPrefixes(prefix, this.objects.keys());
  }
}
