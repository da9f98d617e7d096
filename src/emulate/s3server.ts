import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { type Server, type Socket, createServer } from "node:net";
import { join } from "node:path";
import { ownModule, ownModuleExecArgv } from "../core/package.js";
import { Layout } from "./s3/layout.js";
import type { ChildConfig, ChildMessage, ParentMessage } from "./s3/protocol.js";
import type { Credentials } from "./s3/sigv4.js";

/**
 * The emulator's local S3 endpoint: a small S3 server of our own (src/emulate/s3/) in a child
 * process, supervised from here. This process owns the listening socket on 127.0.0.1 and hands each
 * connection to the server process over IPC, so when that process dies (a bug, a kill, out of
 * memory) the port stays open: new connections wait while a fresh process starts, and clients
 * (whose SDKs retry a reset request) carry on — the emulator and `runnable serve` never keep
 * answering "connection refused". Every request must be SigV4-signed with credentials made at
 * random for this start and handed only to the emulator's own clients and handler processes.
 */
export interface LocalS3Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** The credentials every request must be signed with. */
  credentials: Credentials;
  /** Pid of the process serving now (undefined while it restarts). */
  readonly pid: number | undefined;
  /** Times the serving process was restarted after it died. */
  readonly restarts: number;
  stop(): Promise<void>;
}

/** Options of startLocalS3. */
export interface LocalS3Options {
  /**
   * Honour `If-None-Match: *` on PutObject as S3 does (default true). Tests turn it off to check
   * that the stores stay correct against a server that ignores it.
   */
  conditionalWrites?: boolean;
  /** Credentials to require. Default: fresh random ones (tests of a stand-alone server may fix them). */
  credentials?: Credentials;
  /** Told when the server process dies, restarts, or cannot be restarted. */
  onEvent?: (message: string) => void;
}

const CHILD = ownModule("src/emulate/s3/child");

/** How long a new process may take to report ready. */
const START_TIMEOUT_MS = 30_000;
/** Waits before the n-th restart within a minute (the last repeats). */
const BACKOFF_MS = [0, 250, 1000, 3000, 10_000];
/** Consecutive failed starts after which waiting connections are dropped (clients see an error, not a hang). */
const MAX_FAILED_STARTS = 5;
/** Connections kept waiting for a process at most this long / this many. */
const QUEUE_MS = 30_000;
const QUEUE_MAX = 1000;
/** A connection handed over but not acknowledged this long is closed (its client retries). */
const HANDOVER_MS = 5_000;

/** Random credentials for one server start (access key shaped like AWS's). */
export function randomCredentials(): Credentials {
  return { accessKeyId: `RNBL${randomBytes(8).toString("hex").toUpperCase()}`, secretAccessKey: randomBytes(30).toString("base64") };
}

/** Starts the S3 server on 127.0.0.1 (a free port) serving `directory`, with `bucket` created. */
export async function startLocalS3(directory: string, bucket: string, options: LocalS3Options = {}): Promise<LocalS3Server> {
  const session = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const layout = new Layout(directory, session);
  await mkdir(layout.bucket(bucket), { recursive: true });
  await removeStaleTemps(layout.temps);
  const credentials = options.credentials ?? randomCredentials();
  const supervisor = new Supervisor({ root: directory, session, credentials, conditionalWrites: options.conditionalWrites ?? true }, options.onEvent);
  const port = await supervisor.listen();
  try {
    await supervisor.startProcess();
  } catch (e) {
    await supervisor.stop();
    throw e;
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    credentials,
    get pid() {
      return supervisor.pid;
    },
    get restarts() {
      return supervisor.restarts;
    },
    stop: async () => {
      await supervisor.stop();
      await rm(layout.temp, { recursive: true, force: true });
    },
  };
}

/** Temp folders of servers that ended a day ago or more (a crash leaves its uploads' temp files). */
async function removeStaleTemps(temps: string): Promise<void> {
  const entries = await readdir(temps).catch(() => [] as string[]);
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of entries) {
    const folder = join(temps, name);
    const st = await stat(folder).catch(() => undefined);
    if (st && st.mtimeMs < dayAgo) await rm(folder, { recursive: true, force: true });
  }
}

interface Waiting {
  socket: Socket;
  since: number;
}

class Supervisor {
  private readonly server: Server;
  private child: ChildProcess | undefined;
  private ready = false;
  private starting: Promise<void> | undefined;
  private stopping = false;
  private readonly queue: Waiting[] = [];
  private readonly exits: number[] = [];
  private failedStarts = 0;
  private lastAttempt = 0;
  /** Connections sent to the server process and not yet acknowledged, by id (ours is kept open until then). */
  private readonly handed = new Map<number, { socket: Socket; timer: NodeJS.Timeout }>();
  private nextId = 1;
  private stderrTail = "";
  restarts = 0;
  /** The process exited and has not served since: whoever starts it next (a restart or a request) says so. */
  private down = false;

  constructor(private readonly config: ChildConfig, private readonly onEvent: ((message: string) => void) | undefined) {
    // Accepted paused: no byte is read here, the server process reads the connection.
    this.server = createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
  }

  get pid(): number | undefined {
    return this.ready ? this.child?.pid : undefined;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        // The server must not keep the user's process alive.
        this.server.unref();
        resolve((this.server.address() as { port: number }).port);
      });
    });
  }

  private accept(socket: Socket): void {
    if (this.stopping) return void socket.destroy();
    socket.on("error", () => socket.destroy());
    if (this.ready && this.child) return this.handOver(socket);
    if (this.queue.length >= QUEUE_MAX || (this.failedStarts >= MAX_FAILED_STARTS && Date.now() - this.lastAttempt < QUEUE_MS)) return void socket.destroy();
    this.queue.push({ socket, since: Date.now() });
    if (!this.starting) void this.startProcess().catch(() => undefined);
  }

  /**
   * Sends a connection to the server process. Our copy stays open until the process acknowledges
   * it: a process that died before reading the message (its exit not noticed yet) would otherwise
   * lose the connection silently, and the client would wait forever. Unacknowledged connections
   * go back to the queue when the process exits.
   */
  private handOver(socket: Socket): void {
    const id = this.nextId++;
    const timer = setTimeout(() => this.release(id), HANDOVER_MS).unref();
    this.handed.set(id, { socket, timer });
    const message: ParentMessage = { type: "connection", id };
    this.child!.send(message, socket, { keepOpen: true }, (err) => {
      if (err) this.requeue(id);
    });
  }

  /**
   * Forgets a handed-over connection and closes our copy of it: the server process holds its own
   * (closing one copy leaves the connection open); one it never got is closed, and its client retries.
   */
  private release(id: number): void {
    const entry = this.handed.get(id);
    if (!entry) return;
    this.handed.delete(id);
    clearTimeout(entry.timer);
    entry.socket.destroy();
  }

  /** A connection the server process never got goes back to the queue, unread. */
  private requeue(id: number): void {
    const entry = this.handed.get(id);
    if (!entry) return;
    this.handed.delete(id);
    clearTimeout(entry.timer);
    if (!entry.socket.destroyed) this.queue.push({ socket: entry.socket, since: Date.now() });
  }

  private flush(): void {
    const now = Date.now();
    for (const { socket, since } of this.queue.splice(0)) {
      if (socket.destroyed) continue;
      if (now - since > QUEUE_MS || !this.ready) socket.destroy();
      else this.handOver(socket);
    }
  }

  /** Starts a server process and waits until it is ready (rejects with its stderr when it is not). */
  startProcess(): Promise<void> {
    this.starting ??= this.spawn().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async spawn(): Promise<void> {
    this.lastAttempt = Date.now();
    this.stderrTail = "";
    const child = fork(CHILD, [], { execArgv: ownModuleExecArgv(), stdio: ["ignore", "pipe", "pipe", "ipc"] });
    this.child = child;
    child.stderr!.on("data", (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-2000);
    });
    child.stdout!.resume();
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the local S3 server did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
        child.on("message", (m: ChildMessage) => {
          if (m.type === "ready") {
            clearTimeout(timer);
            resolve();
          } else if (m.type === "accepted") this.release(m.id);
        });
        child.once("exit", (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`the local S3 server exited at start (${signal ?? `code ${code}`}): ${this.stderrTail.trim()}`));
        });
        child.once("error", reject);
        const config: ParentMessage = { type: "config", config: this.config };
        child.send(config);
      });
    } catch (e) {
      child.kill("SIGKILL");
      this.failedStarts++;
      if (this.failedStarts >= MAX_FAILED_STARTS) {
        this.onEvent?.(`the local S3 server cannot be started (${(e as Error).message}); requests fail until it can`);
        this.flush();
      } else if (!this.stopping) this.scheduleRestart();
      throw e;
    }
    this.failedStarts = 0;
    this.ready = true;
    if (this.down) {
      this.down = false;
      this.restarts++;
      this.onEvent?.(`the local S3 server is serving again (pid ${child.pid})`);
    }
    child.on("exit", (code, signal) => this.exited(child, code, signal));
    // Neither the process nor its pipes may keep the user's process alive.
    child.unref();
    (child.channel as { unref?: () => void } | undefined)?.unref?.();
    (child.stdout as NodeJS.ReadableStream & { unref?: () => void }).unref?.();
    (child.stderr as NodeJS.ReadableStream & { unref?: () => void }).unref?.();
    this.flush();
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.ready = false;
    this.child = undefined;
    for (const id of [...this.handed.keys()]) this.requeue(id);
    if (this.stopping) return;
    this.down = true;
    this.onEvent?.(`the local S3 server (pid ${child.pid}) exited (${signal ?? `code ${code}`})${this.stderrTail ? `: ${this.stderrTail.trim().split("\n").pop()}` : ""}; restarting it`);
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const now = Date.now();
    this.exits.push(now);
    while (this.exits.length && now - this.exits[0]! > 60_000) this.exits.shift();
    const delay = BACKOFF_MS[Math.min(this.exits.length - 1, BACKOFF_MS.length - 1)]!;
    setTimeout(() => {
      if (this.stopping || this.ready || this.starting) return;
      void this.startProcess().catch(() => undefined);
    }, delay).unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.server.close();
    for (const { socket } of this.queue.splice(0)) socket.destroy();
    for (const id of [...this.handed.keys()]) this.release(id);
    const child = this.child;
    this.ready = false;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // Unreferenced while serving; referenced again so the wait for its exit keeps the process alive.
    child.ref();
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 3000).unref();
    });
  }
}
