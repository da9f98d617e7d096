/** Folder of runnable-ts's own sources: frames inside it are not the user's pipeline file. */
const OWN_SRC = decodeURIComponent(new URL("..", import.meta.url).href);

/**
 * The file a stack frame line points at, as an absolute path; undefined for frames without one
 * (`node:` internals, native code). Shapes met: `at f (/abs/file.ts:1:2)`, `at file:///abs/file.ts:1:2`
 * (possibly with a `?query` tsx adds), and — the entry file of a CommonJS project, which tsx
 * evaluates as a `data:text/javascript,…` module — the file named in that URL's `filePath` parameter.
 */
export function frameFile(line: string): string | undefined {
  const frame = line.trim().replace(/^at\s+/, "");
  const data = /\bdata:text\/javascript,.*[?&]filePath=([^:&)\s]+)/.exec(frame);
  if (data) return decodeURIComponent(data[1]!).replace(/\?.*$/, "");
  const m = /(?:^|\(|\s)((?:file:\/\/)?\/[^()]*?|[A-Za-z]:\\[^()]*?):\d+:\d+\)?$/.exec(frame);
  if (!m) return undefined;
  const where = m[1]!;
  return where.startsWith("file://") ? decodeURIComponent(new URL(where).pathname) : where.replace(/\?.*$/, "");
}

/**
 * The first stack frame outside runnable-ts's own sources, as a path: the user file that is
 * constructing a Pipeline or a step. undefined when it cannot be told.
 */
export function callerFile(): string | undefined {
  const stack = new Error().stack ?? "";
  for (const line of stack.split("\n").slice(1)) {
    const file = frameFile(line);
    if (file === undefined || `file://${file}`.startsWith(OWN_SRC)) continue;
    return file;
  }
  return undefined;
}
