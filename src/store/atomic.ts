/** Atomic local file writes shared by the filesystem and S3 stores (S3 getFile writes locally too). */
import { randomBytes } from "node:crypto";
import { copyFile, constants, link, mkdir, rename, unlink } from "node:fs/promises";
import path from "node:path";

/** Temp files live beside their target (same directory → same filesystem → rename is atomic). */
const TEMP = /\.~tmp-[0-9a-f]{16}$/;
/** True for a temp file name left by `commit` (listings skip them). */
export const isTemp = (name: string): boolean => TEMP.test(name);
const tempBeside = (file: string): string => `${file}.~tmp-${randomBytes(8).toString("hex")}`;

/** True for filesystem errors that mean "no such object" rather than a failure. */
export function missing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  // EISDIR/ENOTDIR: the key names a "folder" of other keys, or goes through a file: no such object.
  return code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR";
}

/**
 * Writes `file` through a temp file beside it: readers see the old content or the new, never a
 * torn one. With `createOnly`, the temp file is hard-linked into place: link() fails with EEXIST
 * when the target exists, so of several concurrent creators exactly one wins, and the winner's
 * content is complete the moment it becomes visible. Returns false when create-only lost.
 */
export async function commit(file: string, write: (temp: string) => Promise<void>, createOnly: boolean): Promise<boolean> {
  // On an existing folder mkdir is a cheap EEXIST; `write` may consume a stream, so it runs once.
  await mkdir(path.dirname(file), { recursive: true });
  const temp = tempBeside(file);
  let tempExists = true;
  try {
    await write(temp);
    if (!createOnly) {
      await rename(temp, file);
      tempExists = false;
      return true;
    }
    try {
      await link(temp, file);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") return false;
      // Filesystems without hard links: an exclusive create still lets exactly one creator win,
      // though a reader may then glimpse the file before its bytes are complete.
      if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP") return await createExclusive(temp, file);
      throw e;
    }
  } finally {
    if (tempExists) await unlink(temp).catch(() => undefined);
  }
}

async function createExclusive(temp: string, file: string): Promise<boolean> {
  try {
    await copyFile(temp, file, constants.COPYFILE_EXCL);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
}
