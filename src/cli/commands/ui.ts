import type { Command } from "commander";
import { UsageError } from "../../sdk/errors.js";
import type { CommandContext } from "../context.js";
import { EXIT } from "../io.js";

interface UiFlags {
  root: string;
  s3Endpoint?: string;
  bucket?: string;
  api?: string;
  region?: string;
  port: string;
  host: string;
}

/**
 * `runnable ui`: the web UI over local runs (`--root`, its emulator runs included), a bucket at an S3
 * endpoint (`--s3-endpoint --bucket`, e.g. `runnable serve`'s), or a runs API (`--api`). Binds
 * 127.0.0.1; prints `listening on <url>` first, then the URL to open with the access token in it.
 */
export function registerUi(program: Command, ctx: CommandContext): void {
  program
    .command("ui")
    .description("open the web UI: runs, live DAG and timeline, step details, run comparison")
    .option("--root <dir>", "directory of run logs and catalogs (its emulator runs under <root>/s3 included)", ".runnable")
    .option("--s3-endpoint <url>", "read the runs in a bucket at this S3 endpoint (e.g. the one `runnable serve` uses)")
    .option("--bucket <name>", "bucket of the runs (default \"runnable\"); alone: that bucket of the local emulator store")
    .option("--api <url>", "read the runs through a runs API (deployed, or `runnable serve`), SigV4-signed")
    .option("--region <region>", "with --api: region for the signature")
    .option("--port <port>", "port (0 picks a free one)", "8788")
    .option("--host <host>", "interface to bind (loopback only)", "127.0.0.1")
    .action(ctx.action(async (flags: UiFlags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got ${JSON.stringify(flags.port)}`);
      // Loaded on use: the server, the store clients and the bundler stay out of every other command.
      const [{ openSource }, { loadAssets }, { listenUi }, { newToken, isLoopback }] = await Promise.all([
        import("../../ui/source.js"), import("../../ui/assets.js"), import("../../ui/server.js"), import("../../api/guard.js"),
      ]);
      // The UI serves run data (parameters, files) to whoever holds the token: it stays on this machine.
      if (!isLoopback(flags.host)) throw new UsageError(`--host ${flags.host} is not a loopback address: runnable ui serves only this machine (127.0.0.1, ::1, localhost)`);
      const source = await openSource({
        root: flags.root,
        ...(flags.s3Endpoint !== undefined ? { s3Endpoint: flags.s3Endpoint } : {}),
        ...(flags.bucket !== undefined ? { bucket: flags.bucket } : {}),
        ...(flags.api !== undefined ? { api: flags.api } : {}),
        ...(flags.region !== undefined ? { region: flags.region } : {}),
      });
      const token = newToken();
      const server = await listenUi({ source, assets: await loadAssets(), token, port, host: flags.host, ...(ctx.cli ? { cli: ctx.cli } : {}) }).catch(async (err: unknown) => {
        await source.close();
        throw err;
      });
      ctx.io.out(`listening on ${server.url}\n`);
      ctx.io.out(`open ${server.url}/?token=${token}\n`);
      ctx.io.err(`runs from ${source.location} (Ctrl-C stops)\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await server.close();
      await source.close();
      return EXIT.ok;
    }));
}
