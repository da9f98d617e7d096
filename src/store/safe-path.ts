import { lstat, realpath } from "node:fs/promises";
import path from "node:path";
import picomatch from "picomatch";
import { UnsafePathError } from "../sdk/errors.js";

/** Catalog names become store keys (S3 allows 1,024 bytes) and file paths (255 bytes a segment). */
const MAX_NAME_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;
/** First segments the catalog keeps for itself (`catalog/<runId>/.objects/…`, `.internal/…`). */
const RESERVED = new Set([".objects", ".internal"]);
// C0 controls, DEL and C1 controls: invisible in messages and mangled by shells and terminals.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function unsafe(name: string, why: string): UnsafePathError {
  return new UnsafePathError(`unsafe catalog name ${JSON.stringify(name)}: ${why}`);
}

/**
 * Checks a catalog name (a relative path inside the working directory / the run's catalog) and
 * returns its normal form ("./a/./b" → "a/b"). Throws UnsafePathError naming the problem for:
 * empty names, absolute paths, `..` segments, backslashes, NUL/control characters, drive letters,
 * `~`, empty segments, trailing slashes, reserved first segments and over-long names.
 */
export function checkCatalogName(name: string): string {
  if (typeof name !== "string" || name.length === 0) throw unsafe(String(name), "it is empty");
  if (CONTROL.test(name)) throw unsafe(name, "it contains a NUL or control character");
  if (name.includes("\\")) throw unsafe(name, "it contains a backslash (use / to separate folders)");
  if (name.startsWith("/")) throw unsafe(name, "it is an absolute path (catalog names are relative)");
  if (/^[A-Za-z]:/.test(name)) throw unsafe(name, "it starts with a drive letter");
  if (name.startsWith("~")) throw unsafe(name, "it starts with ~ (home directories are outside the working directory)");
  if (name.endsWith("/")) throw unsafe(name, "it ends with / (name a file, not a folder)");
  const segments = name.split("/").filter((s) => s !== ".");
  if (segments.length === 0) throw unsafe(name, "it names the working directory itself");
  for (const segment of segments) {
    if (segment === "..") throw unsafe(name, "it contains a '..' segment");
    if (segment === "") throw unsafe(name, "it contains an empty segment ('//')");
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) throw unsafe(name, `a segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  if (RESERVED.has(segments[0]!)) throw unsafe(name, `"${segments[0]}" is reserved for runnable's own files`);
  const normal = segments.join("/");
  if (Buffer.byteLength(normal) > MAX_NAME_BYTES) throw unsafe(name, `it is longer than ${MAX_NAME_BYTES} bytes`);
  return normal;
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  // "..." or "..x" are ordinary names inside; only ".." itself or "../…" climb out.
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * Resolves a catalog name inside `workDir`, after `checkCatalogName`. Every component that exists
 * is resolved through symlinks and must stay inside the (real) working directory, so a symlink
 * planted in the working directory cannot make `get` write, or `put` read, outside it.
 * Returns the absolute path (under `workDir`, not symlink-resolved).
 */
export async function resolveInside(workDir: string, name: string): Promise<string> {
  const normal = checkCatalogName(name);
  const root = path.resolve(workDir);
  const realRoot = await realpath(root);
  let current = root;
  for (const segment of normal.split("/")) {
    current = path.join(current, segment);
    const stat = await lstat(current).catch((e: unknown) => {
      if (e instanceof Error && "code" in e && e.code === "ENOENT") return undefined;
      throw e;
    });
    // The rest of the path does not exist yet: nothing further can be a symlink.
    if (!stat) break;
    if (stat.isSymbolicLink()) {
      const target = await realpath(current).catch(() => undefined);
      if (target === undefined) throw unsafe(name, `"${path.relative(root, current)}" is a dangling symlink`);
      if (!isInside(realRoot, target)) {
        throw unsafe(name, `"${path.relative(root, current)}" is a symlink that leads outside the working directory`);
      }
    }
  }
  return path.join(root, normal);
}

/** True when a catalog pattern is a glob (`*`, `?`, `[…]`, `{…}`, extglobs) rather than one name. */
export function isGlob(pattern: string): boolean {
  return picomatch.scan(pattern).isGlob;
}
