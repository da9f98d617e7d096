import { AsyncLocalStorage } from "node:async_hooks";
import { open } from "node:fs/promises";
import type { AttemptOutput } from "../sdk/runlog.js";
import { secretsOf, type StepContext } from "./context.js";
import { maskBytes } from "./secrets.js";

/**
 * What a step attempt printed: a FunctionTask's `process.stdout`/`process.stderr` writes (console.*
 * included), a ShellTask's interleaved stdout and stderr. Kept per attempt in the run's catalog as
 * `<stepPath>/attempt-<n>.log`, secrets masked, at most OUTPUT_LIMIT bytes: past it, the tail is kept
 * (where a failure shows) behind one line saying how much came before.
 *
 * In-process functions share the process's streams, so a write is attributed to the attempt whose
 * async context made it (AsyncLocalStorage): concurrent Parallel branches and Map iterations each get
 * their own output, and what a step schedules (promises, timers) counts as its own. Not captured:
 * writes straight to file descriptors 1/2 (`fs.writeSync(1, …)`), and child processes or worker
 * threads a function starts with inherited stdio.
 */

/** Default bound of a stored attempt log (bytes). */
export const DEFAULT_OUTPUT_LIMIT = 1024 * 1024;
/** Environment variable that changes the bound (bytes, ≥ 1024). */
export const OUTPUT_LIMIT_ENV = "RUNNABLE_OUTPUT_LIMIT";

export function outputLimit(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[OUTPUT_LIMIT_ENV];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) && n >= 1024 ? n : DEFAULT_OUTPUT_LIMIT;
}

/** The last `limit` bytes written to it, and how many came before them. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private held = 0;
  /** Bytes written before the kept tail. */
  dropped = 0;
  private closed = false;
  /** What the terminal (or a Lambda's log) is shown of a write: the step's secrets masked, when it has some. */
  shown: ((bytes: Buffer) => Buffer) | undefined;

  constructor(readonly limit: number = outputLimit()) {}

  write(chunk: Buffer): void {
    if (this.closed || chunk.length === 0) return;
    if (chunk.length >= this.limit) {
      this.dropped += this.held + chunk.length - this.limit;
      this.chunks = [Buffer.from(chunk.subarray(chunk.length - this.limit))];
      this.held = this.limit;
      return;
    }
    this.chunks.push(Buffer.from(chunk));
    this.held += chunk.length;
    while (this.held - this.chunks[0]!.length >= this.limit) {
      const first = this.chunks.shift()!;
      this.held -= first.length;
      this.dropped += first.length;
    }
  }

  /** Stops taking writes (what a step's leftover timers print after its attempt ended is not its attempt's). */
  close(): void {
    this.closed = true;
  }

  get empty(): boolean {
    return this.held === 0;
  }

  /** The kept bytes: at most `limit`, starting after a line break when the cut fell inside a line. */
  bytes(): { bytes: Buffer; dropped: number } {
    let all = Buffer.concat(this.chunks);
    let dropped = this.dropped;
    if (all.length > this.limit) {
      dropped += all.length - this.limit;
      all = all.subarray(all.length - this.limit);
    }
    if (dropped > 0) {
      // A cut line could hold half a secret the mask would no longer recognise: start at the next line.
      const nl = all.indexOf(0x0a);
      if (nl >= 0 && nl < all.length - 1) {
        dropped += nl + 1;
        all = all.subarray(nl + 1);
      }
    }
    return { bytes: all, dropped };
  }
}

const current = new AsyncLocalStorage<OutputTail>();
let installed = false;
/** Set while a patched write runs: a stream whose write forwards to another (stdout diverted to stderr) is captured once. */
let writing = false;

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
}

function patch(stream: NodeJS.WriteStream): void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be put back as it was
  const original = stream.write;
  stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    const sink = writing ? undefined : current.getStore();
    let out = chunk;
    if (sink) {
      const bytes = toBuffer(chunk, typeof rest[0] === "string" ? rest[0] : undefined);
      sink.write(bytes);
      // Masked per write: console.log writes a line at once; a secret split across writes is not seen.
      const shown = sink.shown?.(bytes) ?? bytes;
      if (shown !== bytes) {
        out = shown;
        if (typeof rest[0] === "string") rest = rest.slice(1);
      }
    }
    const outer = writing;
    writing = true;
    try {
      return (original as (...a: unknown[]) => boolean).call(this, out, ...rest);
    } finally {
      writing = outer;
    }
  } as typeof stream.write;
}

/**
 * Runs `fn` with every process.stdout/stderr write made in its async context copied into `sink`
 * (the write still reaches the stream: the terminal shows it as before, the step's secrets masked).
 */
export function captureOutput<T>(sink: OutputTail, fn: () => T): T {
  if (!installed) {
    installed = true;
    patch(process.stdout);
    patch(process.stderr);
  }
  return current.run(sink, fn);
}

/** The tail of a file (a shell step's log) as an OutputTail. */
export async function fileTail(file: string, limit: number = outputLimit()): Promise<OutputTail> {
  const tail = new OutputTail(limit);
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, limit);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    tail.dropped = size - length;
    tail.write(buffer);
  } finally {
    await handle.close();
  }
  return tail;
}

/** Catalog name of an attempt's output. */
export function outputName(stepPath: string, attempt: number): string {
  return `${stepPath}/attempt-${attempt}.log`;
}

/** The bytes stored for an attempt's output: masked, and behind a note when the head was dropped. */
export function outputBytes(tail: OutputTail, ctx: StepContext): { bytes: Buffer; dropped: number } {
  const { bytes, dropped } = tail.bytes();
  const masked = maskBytes(bytes, secretsOf(ctx));
  if (dropped === 0) return { bytes: masked, dropped };
  const note = Buffer.from(`[runnable: ${dropped} earlier bytes of output not kept; the last ${masked.length} follow]\n`);
  return { bytes: Buffer.concat([note, masked]), dropped };
}

/** Stores an attempt's output in the catalog; undefined (nothing stored) when the attempt printed nothing. */
export async function storeOutput(ctx: StepContext, runId: string, stepPath: string, attempt: number, tail: OutputTail): Promise<AttemptOutput | undefined> {
  tail.close();
  if (tail.empty) return undefined;
  const { bytes, dropped } = outputBytes(tail, ctx);
  const name = outputName(stepPath, attempt);
  const digest = await ctx.stores.catalog.putBytes(runId, name, bytes);
  return { name, size: digest.size, md5: digest.md5, ...(dropped > 0 ? { dropped } : {}) };
}
