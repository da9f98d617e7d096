import { UsageError } from "../sdk/errors.js";
import type { RunsClient } from "./client.js";
import { isLoopback } from "./guard.js";

// How a caller reaches a runs API (the deployed one, or `runnable serve`): shared by the remote CLI
// commands and `runnable ui --api`, so it sits here rather than in either of them.

/** Environment variable holding the default API URL (the stack output `ApiUrl`). */
export const API_URL_ENV = "RUNNABLE_API_URL";

/** Environment variable holding the bearer token of `runnable serve` (the server's, and the one remote commands send). */
export const API_TOKEN_ENV = "RUNNABLE_API_TOKEN";

/**
 * What a loopback `--api` (`runnable serve` on this machine) is signed with when no token is given:
 * serve checks its bearer token, never SigV4 signatures, so the user's AWS credentials are neither
 * needed nor sent there.
 */
export const LOOPBACK_CREDENTIALS = { accessKeyId: "RUNNABLE-SERVE-LOCAL", secretAccessKey: "runnable-serve-ignores-the-signature" };

/**
 * The client for `--api` (else $RUNNABLE_API_URL), shared by `runs …`, `logs --remote` and `ui --api`:
 * with a token (`--token`, else $RUNNABLE_API_TOKEN) it sends `Authorization: Bearer` as
 * `runnable serve` requires, else it signs with SigV4 as the deployed API requires (a loopback URL
 * with LOOPBACK_CREDENTIALS: no AWS credentials needed).
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
  const { RunsClient } = await import("./client.js");
  return new RunsClient({
    api, ...(flags.region ? { region: flags.region } : {}),
    ...(token !== undefined ? { token } : isLoopback(url.hostname) ? { credentials: LOOPBACK_CREDENTIALS } : {}),
  });
}
