/** Folder of runnable-ts's own sources: frames inside it are not the user's pipeline file. */
const OWN_SRC = decodeURIComponent(new URL("..", import.meta.url).href);

/**
 * The first stack frame outside runnable-ts's own sources, as a path (file:// stripped): the user
 * file that is constructing a Pipeline or a step. undefined when it cannot be told.
 */
export function callerFile(): string | undefined {
  const stack = new Error().stack ?? "";
  for (const line of stack.split("\n").slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^()]*?|[A-Za-z]:\\[^()]*?):\d+:\d+\)?\s*$/.exec(line.trim());
    if (!m) continue;
    const where = m[1]!;
    const url = where.startsWith("file://") ? decodeURIComponent(where) : `file://${where}`;
    if (url.startsWith(OWN_SRC) || where.startsWith("node:")) continue;
    return where.startsWith("file://") ? decodeURIComponent(new URL(where).pathname) : where;
  }
  return undefined;
}
