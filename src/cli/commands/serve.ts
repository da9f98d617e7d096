import type { Command } from "commander";
import { UsageError } from "../../sdk/errors.js";
import type { CommandContext } from "../context.js";
import { EXIT } from "../io.js";

interface ServeFlags {
  port: string;
  host: string;
  s3Endpoint?: string;
  bucket?: string;
  root: string;
}

/**
 * `runnable serve <pipeline files…>`: the deployed runs API (`POST /pipelines/{name}/runs`,
 * `GET /pipelines/{name}/runs`, `GET /runs/{runId}`) on 127.0.0.1, backed by the emulator. The
 * first line on stdout is `listening on <url>`; it runs until SIGINT/SIGTERM, then lets running
 * runs finish.
 */
export function registerServe(program: Command, ctx: CommandContext): void {
  program
    .command("serve")
    .description("serve the runs API locally (same routes as the deployed API), runs executed by the emulator")
    .argument("<pipelines...>", "pipeline files to serve (their pipeline names are the route names)")
    .option("--port <port>", "port (0 picks a free one)", "8787")
    .option("--host <host>", "interface to bind", "127.0.0.1")
    .option("--s3-endpoint <url>", "S3 endpoint of the run data (default: a local S3 server over <root>/s3)")
    .option("--bucket <name>", "bucket of the run data", "runnable")
    .option("--root <dir>", "directory of the local S3 data", ".runnable")
    .action(ctx.action(async (files: string[], flags: ServeFlags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got ${JSON.stringify(flags.port)}`);
      // Loaded on use: the emulator and HTTP server stay out of every other command's start-up.
      const [{ localBackend }, { listenApi }] = await Promise.all([import("../../api/local.js"), import("../../api/server.js")]);
      const backend = await localBackend({
        pipelines: files, root: flags.root,
        ...(flags.s3Endpoint ? { s3Endpoint: flags.s3Endpoint } : {}),
        ...(flags.bucket ? { bucket: flags.bucket } : {}),
        onRunEnd: (runId, outcome) => ctx.io.err(outcome instanceof Error
          ? `run ${runId} could not run: ${outcome.message}\n`
          : `run ${runId} ${outcome.status}\n`),
      });
      const server = await listenApi(backend, { port, host: flags.host }).catch(async (err: unknown) => {
        await backend.close();
        throw err;
      });
      ctx.io.out(`listening on ${server.url}\n`);
      if (!/^(127\.|::1$|localhost$)/.test(flags.host)) {
        ctx.io.err(`warning: --host ${flags.host} exposes the API beyond this machine; the local server checks no signatures (anyone who can reach it can start runs)\n`);
      }
      ctx.io.err(`serving ${[...backend.pipelines.keys()].join(", ")}: POST ${server.url}/pipelines/{name}/runs, GET ${server.url}/runs/{runId} (Ctrl-C stops)\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      ctx.io.err("stopping: waiting for running runs to finish\n");
      await server.close();
      await backend.close();
      return EXIT.ok;
    }));
}
