import type { Dirent } from "node:fs";
import { constants, mkdirSync, openSync } from "node:fs";
import { copyFile, open, readFile, readdir, stat, writeFile } from "node:fs/promises";
import type { Readable } from "node:stream";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { commit, isTemp, missing } from "./atomic.js";
import { hashFile } from "./digest.js";
import { FileJournal, type JournalWriter } from "./journal.js";
import { checkKey, compareKeys, sortKeys } from "./keys.js";
import type { BlobStore, FileDigest } from "./types.js";

/**
 * Copies `source` to `file` atomically and returns the source's digest. The copy is made by the
 * kernel (copyFile) while the source is hashed alongside, on another core: a put costs about one
 * `md5sum` of the file instead of read + hash + write in turn. Since the two read the file
 * separately, a file that changes meanwhile (size or mtime) fails the copy instead of recording
 * a digest of other bytes. Undefined when `source` is missing or a folder.
 */
async function copyInto(source: string, file: string): Promise<FileDigest | undefined> {
  const before = await stat(source).catch((e: unknown) => {
    if (missing(e)) return undefined;
    throw e;
  });
  if (!before || before.isDirectory()) return undefined;
  let digest: FileDigest | undefined;
  await commit(
    file,
    async (temp) => {
      [digest] = await Promise.all([hashFile(source), copyFile(source, temp, constants.COPYFILE_EXCL)]);
      const after = await stat(source);
      if (after.size !== before.size || after.mtimeMs !== before.mtimeMs || digest.size !== after.size) {
        throw new Error(`${source} changed while it was being copied to ${file}`);
      }
    },
    false,
  );
  return digest;
}

/** The folder part of a key prefix: "runs/ab" → "runs/", "ab" → "". */
const folderOf = (prefix: string): string => prefix.slice(0, prefix.lastIndexOf("/") + 1);

/**
 * A BlobStore in a local directory: key `a/b/c` is the file `<root>/a/b/c`. Writes are atomic
 * (temp file + rename) with respect to readers and crashed writers; they are not fsync'ed, so a
 * power loss may lose recent writes. A key cannot be both an object and a "folder" of other keys.
 */
export class FsBlobStore implements BlobStore {
  readonly root: string;
  readonly location: string;
  readonly directory: string;

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
    this.directory = this.root;
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
    const digest = await copyInto(path.resolve(file), this.file(key));
    if (!digest) throw Object.assign(new Error(`ENOENT: no such file to store: ${file}`), { code: "ENOENT" });
    return digest;
  }

  getFile(key: string, file: string): Promise<FileDigest | undefined> {
    return copyInto(this.file(key), path.resolve(file));
  }

  async openRead(key: string): Promise<{ size: number; body: Readable } | undefined> {
    const file = this.file(key);
    try {
      // Opened before it is returned: a missing file is "undefined" here, not a stream error later.
      const handle = await open(file, "r");
      const info = await handle.stat();
      if (!info.isFile()) {
        await handle.close();
        return undefined;
      }
      return { size: info.size, body: handle.createReadStream({ highWaterMark: 1024 * 1024 }) };
    } catch (e) {
      if (missing(e) || (e as { code?: string }).code === "EISDIR") return undefined;
      throw e;
    }
  }

  openJournal(key: string): JournalWriter {
    const file = this.file(key);
    mkdirSync(path.dirname(file), { recursive: true });
    // "ax": O_APPEND (every write lands at the end) | O_CREAT | O_EXCL (a journal is never shared).
    return new FileJournal(openSync(file, "ax"));
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    await this.walk(folderOf(prefix), prefix, keys);
    return sortKeys(keys);
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    const base = folderOf(prefix);
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
