import type { Dirent } from "node:fs";
import { open, readFile, readdir, writeFile, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { commit, isTemp, missing } from "./atomic.js";
import { copyWithDigest } from "./digest.js";
import { checkKey, compareKeys, sortKeys } from "./keys.js";
import type { BlobStore, FileDigest } from "./types.js";

/** Copies an open file to `file` atomically, returning the digest of exactly the bytes copied. */
async function copyInto(source: FileHandle, file: string): Promise<FileDigest> {
  let digest: FileDigest | undefined;
  await commit(
    file,
    async (temp) => {
      const target = await open(temp, "wx");
      try {
        digest = await copyWithDigest(source, target);
      } finally {
        await target.close();
      }
    },
    false,
  );
  return digest!;
}

/**
 * A BlobStore in a local directory: key `a/b/c` is the file `<root>/a/b/c`. Writes are atomic
 * (temp file + rename) with respect to readers and crashed writers; they are not fsync'ed, so a
 * power loss may lose recent writes. A key cannot be both an object and a "folder" of other keys.
 */
export class FsBlobStore implements BlobStore {
  readonly root: string;
  readonly location: string;

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
    this.location = pathToFileURL(this.root).href;
  }

  private file(key: string): string {
    return path.join(this.root, ...checkKey(key).split("/"));
  }

  async put(key: string, body: Uint8Array | string, options: { ifAbsent?: boolean } = {}): Promise<boolean> {
    return commit(this.file(key), (temp) => writeFile(temp, body, { flag: "wx" }), options.ifAbsent ?? false);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(this.file(key));
    } catch (e) {
      if (missing(e)) return undefined;
      throw e;
    }
  }

  async putFile(key: string, file: string): Promise<FileDigest> {
    const target = this.file(key);
    const source = await open(file, "r");
    try {
      return await copyInto(source, target);
    } finally {
      await source.close();
    }
  }

  async getFile(key: string, file: string): Promise<FileDigest | undefined> {
    let source;
    try {
      source = await open(this.file(key), "r");
      if ((await source.stat()).isDirectory()) throw Object.assign(new Error("is a folder"), { code: "EISDIR" });
    } catch (e) {
      await source?.close();
      if (missing(e)) return undefined;
      throw e;
    }
    try {
      return await copyInto(source, path.resolve(file));
    } finally {
      await source.close();
    }
  }

  async list(prefix: string): Promise<string[]> {
    const slash = prefix.lastIndexOf("/");
    const base = slash >= 0 ? prefix.slice(0, slash + 1) : "";
    const keys: string[] = [];
    await this.walk(base, prefix, keys);
    return sortKeys(keys);
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    const slash = prefix.lastIndexOf("/");
    const base = slash >= 0 ? prefix.slice(0, slash + 1) : "";
    const out: string[] = [];
    for (const entry of await this.entries(base)) {
      const key = base + entry.name;
      if (entry.isDirectory() && key.startsWith(prefix)) out.push(key + "/");
    }
    return out.sort(compareKeys);
  }

  private async entries(dirKey: string): Promise<Dirent[]> {
    try {
      return await readdir(path.join(this.root, ...dirKey.split("/")), { withFileTypes: true });
    } catch (e) {
      if (missing(e)) return [];
      throw e;
    }
  }

  /** Collects keys under folder `dirKey` ("" or ending in "/") that start with `prefix`, pruning other folders. */
  private async walk(dirKey: string, prefix: string, out: string[]): Promise<void> {
    const folders: string[] = [];
    for (const entry of await this.entries(dirKey)) {
      const key = dirKey + entry.name;
      if (entry.isDirectory()) {
        const folder = key + "/";
        if (folder.startsWith(prefix) || prefix.startsWith(folder)) folders.push(folder);
      } else if (entry.isFile() && key.startsWith(prefix) && !isTemp(key)) {
        out.push(key);
      }
    }
    await Promise.all(folders.map((f) => this.walk(f, prefix, out)));
  }
}
