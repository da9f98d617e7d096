import type { Command } from "commander";
import { setTimeout as sleep } from "node:timers/promises";
import type { RunsClient } from "../../api/client.js";
import { resolveParameters } from "../../runtime/parameters.js";
import { UsageError } from "../../sdk/errors.js";
import { isLoopback } from "../../api/guard.js";
import type { CommandContext } from "../context.js";
import { EXIT } from "../io.js";

/**
 * Remote commands: talk to a deployed runs API with SigV4-signed requests, using the caller's AWS
 * credentials (the SDK's Node provider chain: env, profile, SSO, role), or to `runnable serve` with
 * its bearer token (--token / $RUNNABLE_API_TOKEN).
 *   runnable runs start --remote <pipeline> [--api URL] [--parameters f] [--run-id id] [--tag t] [--wait]
 *   runnable runs logs  --remote <runId>    [--api URL]
 *   runnable runs list  --remote <pipeline> [--api URL] [--limit n]   (in runs.ts, beside the local list)
 * Exit codes: 0 ok (with --wait: the run succeeded), 1 the run failed or the API/network failed,
 * 2 the request was refused (4xx: bad body, unknown pipeline or run, taken run id).
 */

/** Environment variable holding the default API URL (the stack output `ApiUrl`). */
export const API_URL_ENV = "RUNNABLE_API_URL";

/** Environment variable holding the bearer token of `runnable serve` (the server's, and the one remote commands send). */
export const API_TOKEN_ENV = "RUNNABLE_API_TOKEN";

export interface RemoteFlags {
  remote: string;
  api?: string;
  region?: string;
  token?: string;
}

/**
 * What a loopback `--api` (`runnable serve` on this machine) is signed with when no token is given:
 * serve checks its bearer token, never SigV4 signatures, so the user's AWS credentials are neither
 * needed nor sent there.
 */
export const LOOPBACK_CREDENTIALS = { accessKeyId: "RUNNABLE-SERVE-LOCAL", secretAccessKey: "runnable-serve-ignores-the-signature" };

/**
 * The client for `--api` (else $RUNNABLE_API_URL), shared by `runs …` and `logs --remote`: with a
 * token (`--token`, else $RUNNABLE_API_TOKEN) it sends `Authorization: Bearer` as `runnable serve`
 * requires, else it signs with SigV4 as the deployed API requires (a loopback URL with
 * LOOPBACK_CREDENTIALS: no AWS credentials needed).
 * Loaded on use: the AWS credential chain stays out of every other command's start-up.
 */
export async function remoteClient(flags: { api?: string; region?: string; token?: string }): Promise<RunsClient> {
  const api = flags.api ?? process.env[API_URL_ENV];
  if (!api) throw new UsageError(`--api <url> is required (or set ${API_URL_ENV}): the ApiUrl output of the deployed stack, or the URL \`runnable serve\` prints`);
  let url: URL;
  try {
    url = new URL(api);
  } catch {
    throw new UsageError(`--api ${JSON.stringify(api)} is not a URL`);
  }
  const token = flags.token ?? (process.env[API_TOKEN_ENV] || undefined);
  const { RunsClient } = await import("../../api/client.js");
  return new RunsClient({
    api, ...(flags.region ? { region: flags.region } : {}),
    ...(token !== undefined ? { token } : isLoopback(url.hostname) ? { credentials: LOOPBACK_CREDENTIALS } : {}),
  });
}

/** 4xx answers are the caller's input (exit 2); the rest are failures (exit 1). */
export async function guarded(ctx: CommandContext, work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof Error) || err.name !== "ApiCallError") throw err;
    const status = (err as Error & { status: number }).status;
    ctx.io.err(`error: ${err.message}\n`);
    return status >= 400 && status < 500 ? EXIT.invalid : EXIT.failed;
  }
}

/** `--wait`: polls the run log until the run ends; exit 0 on SUCCESS, 1 on FAIL. */
export async function waitForRun(ctx: CommandContext, api: RunsClient, runId: string): Promise<number> {
  for (let delay = 500; ; delay = Math.min(delay * 2, 10_000)) {
    const log = await api.runLog(runId);
    if (log.status !== "RUNNING") {
      ctx.io.err(`run ${runId} ${log.status}\n`);
      return log.status === "SUCCESS" ? EXIT.ok : EXIT.failed;
    }
    await sleep(delay);
  }
}

export const print = (ctx: CommandContext, value: unknown): void => ctx.io.out(`${JSON.stringify(value, null, 2)}\n`);

/** `--api`, `--region` and `--token` of every remote command. */
export function remoteOptions(c: Command): Command {
  return c
    .option("--api <url>", `base URL of the runs API (default: $${API_URL_ENV}); a loopback URL (runnable serve) needs no AWS credentials`)
    .option("--region <region>", "region for the SigV4 signature (default: from the URL, else AWS_REGION)")
    .option("--token <token>", `bearer token of \`runnable serve\` (default: $${API_TOKEN_ENV}); without one, requests are SigV4-signed`);
}

export function registerRemote(program: Command, ctx: CommandContext): void {
  const runs = program.command("runs").description("list and compare runs (local, emulator); start and inspect them through the runs API");
  const common = remoteOptions;

  common(runs.command("start")
    .description("start a run of a deployed pipeline")
    .requiredOption("--remote <pipeline>", "pipeline name (as deployed)")
    .option("--parameters <file>", "YAML/JSON file of parameters (RUNNABLE_PRM_<name> variables override it)")
    .option("--run-id <id>", "run id (repeating the same request returns the same run)")
    .option("--tag <tag>", "label recorded in the run log")
    .option("--wait", "poll until the run ends; exit 0 on SUCCESS, 1 on FAIL"))
    .action(ctx.action(async (flags: RemoteFlags & { parameters?: string; runId?: string; tag?: string; wait?: boolean }) => {
      const api = await remoteClient(flags);
      const parameters = resolveParameters(flags.parameters ? { parametersFile: flags.parameters } : {});
      return guarded(ctx, async () => {
        const started = await api.startRun(flags.remote, {
          ...(Object.keys(parameters).length ? { parameters } : {}),
          ...(flags.runId ? { runId: flags.runId } : {}),
          ...(flags.tag !== undefined ? { tag: flags.tag } : {}),
        });
        print(ctx, started);
        return flags.wait ? waitForRun(ctx, api, started.runId) : EXIT.ok;
      });
    }));

  common(runs.command("logs")
    .description("print a run's log (JSON) from the runs API")
    .requiredOption("--remote <runId>", "run id"))
    .action(ctx.action(async (flags: RemoteFlags) => {
      const api = await remoteClient(flags);
      return guarded(ctx, async () => {
        print(ctx, await api.runLog(flags.remote));
        return EXIT.ok;
      });
    }));
}
