/**
 * Starts `runnable serve` as a user does (the CLI in a child process) and reads the two lines it
 * prints first: `listening on <url>` and `token: <value>`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { BIN_ARGS } from "./cli.js";

export interface ServeHandle {
  url: string;
  /** The printed token ("none" with --no-auth). */
  token: string;
  child: ChildProcess;
  /** What the server wrote to stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

export async function startServe(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<ServeHandle> {
  const child = spawn(process.execPath, [...BIN_ARGS, "serve", ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: "1", ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const [url, token] = await new Promise<[string, string]>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^listening on (http:\/\/\S+)\ntoken: (\S+)(?: \(--no-auth\))?\n/.exec(out);
      if (m) resolve([m[1]!, m[2]!]);
    });
    child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  return {
    url, token, child, stderr: () => err,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
