import { createS3Client } from "../store/index.js";
import { openEmulatorStores, type EmulatorStorage, type EmulatorStorageOptions } from "./storage.js";
import { WorkerPool } from "./workers.js";

/**
 * What outlives one execution: the S3 endpoint (and the local server behind it) and the warm
 * handler processes, one pool per pipeline file — like deployed Lambda containers that stay warm
 * between executions. `runInEmulator` makes and closes one per call unless given one.
 */

/** Options of an emulator session. */
export interface EmulatorSessionOptions extends EmulatorStorageOptions {
  /** Directory of the default local S3 server (`<root>/s3`). Default ".runnable". */
  root?: string;
  /** Most handler processes alive at once (Lambda concurrency). Default: 2 × CPUs, at least 4. */
  maxWorkers?: number;
  /** Forward what steps print (handler processes' stdout/stderr) to ours, as local mode shows it. Default true. */
  echo?: boolean;
  /** Pipeline files whose warm processes are kept at once; the least recently used beyond it are stopped. Default 2. */
  maxPools?: number;
}

export class EmulatorSession {
  private readonly pools = new Map<string, WorkerPool>();
  private readonly s3: ReturnType<typeof createS3Client>;
  readonly storage: EmulatorStorage;
  private readonly options: EmulatorSessionOptions;

  private constructor(storage: EmulatorStorage, options: EmulatorSessionOptions) {
    this.storage = storage;
    this.options = options;
    this.s3 = createS3Client({ endpoint: storage.endpoint, ...(storage.server ? { credentials: storage.server.credentials } : {}) });
  }

  static async open(options: EmulatorSessionOptions = {}): Promise<EmulatorSession> {
    const storage = await openEmulatorStores(options.root ?? ".runnable", options);
    return new EmulatorSession(storage, options);
  }

  get echo(): boolean {
    return this.options.echo ?? true;
  }

  /** A raw S3 client on the emulator's endpoint (for ItemReader/ResultWriter). */
  get s3Client(): ReturnType<typeof createS3Client> {
    return this.s3;
  }

  /** Environment of handler processes for a pipeline file. */
  handlerEnv(pipelineFile: string, pipelineName: string): Record<string, string> {
    return { ...this.storage.handlerEnv, RUNNABLE_PIPELINE_FILE: pipelineFile, RUNNABLE_PIPELINE_NAME: pipelineName };
  }

  /** The warm pool of a pipeline file (made on first use). */
  pool(pipelineFile: string, pipelineName: string): WorkerPool {
    const key = `${pipelineFile}\u0000${pipelineName}`;
    let pool = this.pools.get(key);
    if (pool) {
      // Most recently used last (Map keeps insertion order).
      this.pools.delete(key);
      this.pools.set(key, pool);
    } else {
      const keep = Math.max(1, this.options.maxPools ?? 2);
      for (const [oldKey, old] of this.pools) {
        if (this.pools.size < keep) break;
        if (!old.idle) continue;
        this.pools.delete(oldKey);
        void old.close();
      }
      pool = new WorkerPool({
        pipelineFile, pipelineName, env: this.storage.handlerEnv,
        ...(this.options.maxWorkers !== undefined ? { maxWorkers: this.options.maxWorkers } : {}),
        echo: this.echo,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
    this.s3.destroy();
    await this.storage.close();
  }
}
