import { spawn, type ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";

/**
 * A local S3-protocol server (s3rver) in a child process, so the emulator exercises the S3 store
 * code path — not the filesystem one. In a child because s3rver's ListObjectsV2 paging needs
 * `--openssl-legacy-provider` (see TOOLCHAIN.md), which must not leak into our own process.
 */
export interface LocalS3Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  stop(): Promise<void>;
}

// CommonJS run with `node -e`: s3rver is resolved from this package, wherever the user's cwd is.
const SERVER_CODE = `
const S3rver = require(process.env.RUNNABLE_S3RVER_MODULE);
const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: process.env.RUNNABLE_S3RVER_DIR,
  configureBuckets: [{ name: process.env.RUNNABLE_S3RVER_BUCKET }] });
server.run().then((addr) => process.stdout.write("LISTENING " + addr.port + "\\n"), (err) => { console.error(err); process.exit(1); });
// The parent going away closes the IPC channel: never outlive it.
process.on("disconnect", () => process.exit(0));
process.on("SIGTERM", () => server.close().then(() => process.exit(0)));
`;

/** Starts s3rver on 127.0.0.1 (a free port) serving `directory`, with `bucket` created. */
export async function startLocalS3(directory: string, bucket: string): Promise<LocalS3Server> {
  await mkdir(directory, { recursive: true });
  const module = createRequire(import.meta.url).resolve("s3rver");
  const child = spawn(process.execPath, ["--openssl-legacy-provider", "-e", SERVER_CODE], {
    env: { ...process.env, RUNNABLE_S3RVER_MODULE: module, RUNNABLE_S3RVER_DIR: directory, RUNNABLE_S3RVER_BUCKET: bucket },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const port = await waitForPort(child);
  // The server must not keep the user's process alive, nor outlive it.
  child.unref();
  (child.channel as { unref?: () => void } | undefined)?.unref?.();
  (child.stdout as NodeJS.ReadableStream & { unref?: () => void }).unref?.();
  (child.stderr as NodeJS.ReadableStream & { unref?: () => void }).unref?.();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => stopChild(child),
  };
}

function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.stderr!.on("data", (chunk: Buffer) => { err += chunk.toString(); });
    child.once("exit", (code) => reject(new Error(`the local S3 server (s3rver) exited with code ${code}: ${err.trim()}`)));
    child.once("error", reject);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  // Unreferenced while serving; referenced again so the wait for its exit keeps the process alive.
  child.ref();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 3000).unref();
  });
}
