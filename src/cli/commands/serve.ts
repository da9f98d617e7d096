import type { Command } from "commander";
import type { LocalBackend } from "../../api/local.js";
import { UsageError } from "../../sdk/errors.js";
import type { CommandContext } from "../context.js";
import { EXIT } from "../io.js";
import { API_TOKEN_ENV as TOKEN_ENV } from "../../api/connect.js";

interface ServeFlags {
  port: string;
  host: string;
  auth: boolean;
  token?: string;
  s3Endpoint?: string;
  bucket?: string;
  root: string;
  schedules?: boolean;
}

/**
 * `runnable serve <pipeline files…>`: the deployed runs API (`POST /pipelines/{name}/runs`,
 * `GET /pipelines/{name}/runs`, `GET /runs/{runId}`) on 127.0.0.1, backed by the emulator. The
 * first line on stdout is `listening on <url>`, the second `token: <value>` (the bearer token every
 * request must carry, fresh per start unless --token/RUNNABLE_API_TOKEN gives one; `--no-auth` on
 * loopback turns it off); it runs until SIGINT/SIGTERM, then lets running runs finish.
 */
export function registerServe(program: Command, ctx: CommandContext): void {
  program
    .command("serve")
    .description("serve the runs API locally (same routes as the deployed API), runs executed by the emulator")
    .argument("<pipelines...>", "pipeline files to serve (their pipeline names are the route names)")
    .option("--port <port>", "port (0 picks a free one)", "8787")
    .option("--host <host>", "interface to bind", "127.0.0.1")
    .option("--token <token>", `bearer token clients must send (default: $${TOKEN_ENV}, else a fresh random one, printed at start)`)
    .option("--no-auth", "require no token (only on a loopback --host)")
    .option("--s3-endpoint <url>", "S3 endpoint of the run data (default: a local S3 server over <root>/s3)")
    .option("--bucket <name>", "bucket of the run data", "runnable")
    .option("--root <dir>", "directory of the local S3 data", ".runnable")
    .option("--schedules", "also fire the pipelines' `schedule`s on this machine's clock, as EventBridge Scheduler does once deployed")
    .action(ctx.action(async (files: string[], flags: ServeFlags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got ${JSON.stringify(flags.port)}`);
      const token = flags.token ?? (process.env[TOKEN_ENV] || undefined);
      if (!flags.auth && token !== undefined) throw new UsageError(`--no-auth and a token (--token or ${TOKEN_ENV}) contradict each other`);
      if (token !== undefined && !/^[A-Za-z0-9._~+/=-]{16,512}$/.test(token)) {
        throw new UsageError("the token must be 16 to 512 characters of A-Z a-z 0-9 . _ ~ + / = -");
      }
      // Checked before anything starts: the guard refuses it too.
      const { isLoopback } = await import("../../api/guard.js");
      if (!flags.auth && !isLoopback(flags.host)) throw new UsageError(`--no-auth is only allowed on a loopback --host (127.0.0.1, ::1, localhost), not ${flags.host}`);
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
      const server = await listenApi(backend, { port, host: flags.host, ...(flags.auth ? {} : { noAuth: true }), ...(token !== undefined ? { token } : {}) }).catch(async (err: unknown) => {
        await backend.close();
        throw err;
      });
      ctx.io.out(`listening on ${server.url}\n`);
      ctx.io.out(server.token === undefined ? "token: none (--no-auth)\n" : `token: ${server.token}\n`);
      if (!isLoopback(flags.host)) {
        ctx.io.err(`warning: --host ${flags.host} exposes the API beyond this machine over plain HTTP: anyone who learns the token can start runs\n`);
      }
      ctx.io.err(`serving ${[...backend.pipelines.keys()].join(", ")}: POST ${server.url}/pipelines/{name}/runs, GET ${server.url}/runs/{runId} (Ctrl-C stops)\n`);
      const stopSchedules = new AbortController();
      const scheduling = flags.schedules ? serveSchedules(ctx, backend, stopSchedules.signal) : Promise.resolve();
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      stopSchedules.abort();
      await scheduling;
      ctx.io.err("stopping: waiting for running runs to finish\n");
      await server.close();
      await backend.close();
      return EXIT.ok;
    }));
}

/** `--schedules`: fires the served pipelines' schedules until the server stops, one line per event on stderr. */
async function serveSchedules(ctx: CommandContext, backend: LocalBackend, signal: AbortSignal): Promise<void> {
  const { runSchedules } = await import("../../api/schedules.js");
  if (![...backend.graphs.values()].some((g) => g.schedule)) {
    ctx.io.err("--schedules: none of the served pipelines has a schedule\n");
    return;
  }
  await runSchedules(backend, backend.graphs, {
    signal,
    onReport: (r) => {
      const when = r.at.toISOString();
      if (r.kind === "next") ctx.io.err(`schedule ${r.pipeline}: next run at ${when}\n`);
      else if (r.kind === "failed") ctx.io.err(`schedule ${r.pipeline}: the run of ${when} could not start: ${r.error.message}\n`);
      else {
        const body = r.response.body as { runId?: string; error?: { message: string } };
        ctx.io.err(r.response.status < 300 ? `schedule ${r.pipeline}: started run ${body.runId} (${when})\n` : `schedule ${r.pipeline}: the run of ${when} was refused: ${body.error?.message}\n`);
      }
    },
  });
}
