/**
 * A fault-injecting BlobStore wrapper for reliability tests. Deterministic: faults are placed at
 * chosen call numbers and/or drawn from a seeded generator, so a failing test replays exactly.
 *
 * Fault kinds:
 * - `fail-before`: the call throws without touching the store (a 500 before the write landed);
 * - `fail-after`:  the call is performed, then throws: the caller believes it failed although it
 *                  succeeded (a lost response) — the case idempotent writes exist for;
 * - `throttle`:    the call throws an S3-like `SlowDown` error (HTTP 503) without touching the store.
 */
import { commonPrefixes } from "../../src/store/keys.js";
import type { BlobStore, FileDigest } from "../../src/store/types.js";

export type FaultKind = "fail-before" | "fail-after" | "throttle";
export type BlobOp = "put" | "get" | "putFile" | "getFile" | "list" | "listPrefixes";

export interface FaultPlan {
  /** Faults at these call numbers (1-based, counting every call on the wrapper). */
  at?: Record<number, FaultKind>;
  /** Probability of a random fault on each call (0..1). Default 0. */
  rate?: number;
  /** Seed of the random faults. Default 1. */
  seed?: number;
  /** Kinds drawn for random faults. Default all three. */
  kinds?: FaultKind[];
  /** Operations that may fault. Default all. */
  ops?: BlobOp[];
  /** Stop injecting after this many faults. Default unlimited. */
  maxFaults?: number;
}

/** The error a fault throws: shaped like an AWS SDK error so code that inspects them sees the usual fields. */
export class InjectedFault extends Error {
  readonly $metadata: { httpStatusCode: number };
  readonly $fault = "server";
  constructor(readonly kind: FaultKind, readonly op: BlobOp, readonly key: string, readonly call: number) {
    super(`injected ${kind} fault on ${op}(${key}) at call ${call}`);
    this.name = kind === "throttle" ? "SlowDown" : "InternalError";
    this.$metadata = { httpStatusCode: kind === "throttle" ? 503 : 500 };
  }
}

/** xorshift32: a tiny seeded PRNG (good enough to spread faults, reproducible across runs). */
function random(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const ALL_KINDS: FaultKind[] = ["fail-before", "fail-after", "throttle"];

export class FaultyBlobStore implements BlobStore {
  /** Every fault injected so far, in order. */
  readonly injected: InjectedFault[] = [];
  /** Calls made so far. */
  calls = 0;
  private readonly next: () => number;

  constructor(readonly inner: BlobStore, private plan: FaultPlan = {}) {
    this.next = random(plan.seed ?? 1);
  }

  get location(): string {
    return this.inner.location;
  }

  /** Replaces the plan (e.g. no faults while a test sets up or checks). Call numbers keep counting. */
  setPlan(plan: FaultPlan): void {
    this.plan = plan;
  }

  private decide(op: BlobOp): { kind: FaultKind; call: number } | undefined {
    const call = ++this.calls;
    const { at = {}, rate = 0, kinds = ALL_KINDS, ops, maxFaults = Infinity } = this.plan;
    // Draw every time so the sequence of decisions depends only on the seed and the call order.
    const roll = this.next();
    const pick = this.next();
    if (this.injected.length >= maxFaults || (ops && !ops.includes(op))) return undefined;
    const kind = at[call] ?? (roll < rate ? kinds[Math.floor(pick * kinds.length)] : undefined);
    return kind ? { kind, call } : undefined;
  }

  private async run<T>(op: BlobOp, key: string, action: () => Promise<T>): Promise<T> {
    const fault = this.decide(op);
    if (!fault) return action();
    const error = new InjectedFault(fault.kind, op, key, fault.call);
    this.injected.push(error);
    if (fault.kind === "fail-after") await action();
    throw error;
  }

  put(key: string, body: Uint8Array | string, options?: { ifAbsent?: boolean }): Promise<boolean> {
    return this.run("put", key, () => this.inner.put(key, body, options));
  }
  get(key: string): Promise<Uint8Array | undefined> {
    return this.run("get", key, () => this.inner.get(key));
  }
  putFile(key: string, file: string): Promise<FileDigest> {
    return this.run("putFile", key, () => this.inner.putFile(key, file));
  }
  getFile(key: string, file: string): Promise<FileDigest | undefined> {
    return this.run("getFile", key, () => this.inner.getFile(key, file));
  }
  list(prefix: string): Promise<string[]> {
    return this.run("list", prefix, () => this.inner.list(prefix));
  }
  openRead(key: string): ReturnType<BlobStore["openRead"]> {
    return this.run("get", key, () => this.inner.openRead(key));
  }
  listPrefixes(prefix: string): Promise<string[]> {
    const inner = this.inner;
    return this.run("listPrefixes", prefix, async () =>
      inner.listPrefixes ? inner.listPrefixes(prefix) : commonPrefixes(prefix, await inner.list(prefix)),
    );
  }
}

/**
 * Runs `fn` again while it fails with an injected fault (up to 50 times), as a Step Functions
 * Retry would re-invoke a handler; other errors pass through.
 */
export async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof InjectedFault) || i >= 50) throw e;
    }
  }
}
