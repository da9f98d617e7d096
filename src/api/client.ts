import { Sha256 } from "@aws-crypto/sha256-js";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import type { RunLog } from "../sdk/runlog.js";
import type { JsonValue } from "../sdk/types.js";
import type { ErrorBody, RetryRunResponse, RunSummary, StartRunResponse } from "./schema.js";

/** Options of `RunsClient`. */
export interface RunsClientOptions {
  /** Base URL of the API, e.g. the stack output `ApiUrl` (`https://…execute-api.<region>.amazonaws.com/v1/`). */
  api: string;
  /** Region used in the signature. Default: from an execute-api host name, else AWS_REGION, else us-east-1. */
  region?: string;
  /** Credentials. Default: the AWS SDK's Node provider chain (env, profile, SSO, instance role…). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /**
   * Bearer token of `runnable serve`: sent as `Authorization: Bearer <token>` instead of a SigV4
   * signature (the deployed API wants SigV4; serve wants its token). Default: none, sign.
   */
  token?: string;
  /** fetch implementation (tests). Default global fetch. */
  fetch?: typeof fetch;
}

/** A non-2xx answer of the API, with its status and error code. */
export class ApiCallError extends Error {
  override name = "ApiCallError";
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** The region in `<id>.execute-api.<region>.amazonaws.com`, if the host is one. */
export function regionOfApiHost(host: string): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1];
}

/**
 * Client of the runs API. Against the deployed API it signs every request with SigV4 (service
 * `execute-api`), as its AWS_IAM authorization requires; against `runnable serve` it sends the
 * server's bearer token (`token`) instead.
 */
export class RunsClient {
  private readonly base: URL;
  private readonly signer: SignatureV4 | undefined;
  private readonly token: string | undefined;
  private readonly fetchFn: typeof fetch;

  constructor(options: RunsClientOptions) {
    this.base = new URL(options.api.endsWith("/") ? options.api : `${options.api}/`);
    this.token = options.token;
    const region = options.region ?? regionOfApiHost(this.base.hostname) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
    this.signer = this.token !== undefined ? undefined
      : new SignatureV4({ service: "execute-api", region, credentials: options.credentials ?? fromNodeProviderChain(), sha256: Sha256 });
    this.fetchFn = options.fetch ?? fetch;
  }

  startRun(pipeline: string, body: { parameters?: Record<string, JsonValue>; runId?: string; tag?: string }): Promise<StartRunResponse> {
    return this.call("POST", `pipelines/${encodeURIComponent(pipeline)}/runs`, {}, body);
  }

  /** Retries a failed run (`POST /runs/{runId}/retry`): Step Functions redrives it, or a new execution skips what succeeded. */
  retryRun(runId: string): Promise<RetryRunResponse> {
    // An empty JSON body: servers (serve's guard) want every POST to say it sends JSON.
    return this.call("POST", `runs/${encodeURIComponent(runId)}/retry`, {}, {});
  }

  runLog(runId: string): Promise<RunLog> {
    return this.call("GET", `runs/${encodeURIComponent(runId)}`, {});
  }

  listRuns(pipeline: string, limit?: number): Promise<{ runs: RunSummary[] }> {
    return this.call("GET", `pipelines/${encodeURIComponent(pipeline)}/runs`, limit === undefined ? {} : { limit: String(limit) });
  }

  /** The newest runs of every pipeline (`GET /runs`). */
  listAllRuns(limit?: number): Promise<{ runs: RunSummary[] }> {
    return this.call("GET", "runs", limit === undefined ? {} : { limit: String(limit) });
  }

  /** The request's headers: the bearer token, or a SigV4 signature. */
  private async authorise(method: string, url: URL, query: Record<string, string>, text: string | undefined): Promise<Record<string, string>> {
    const content: Record<string, string> = text === undefined ? {} : { "content-type": "application/json" };
    if (!this.signer) return { ...content, authorization: `Bearer ${this.token}` };
    const signed = await this.signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers: { host: url.host, ...content },
      ...(text === undefined ? {} : { body: text }),
    });
    // fetch sets Host itself (and refuses to be told); the signed value is the same url.host.
    const { host: _host, ...headers } = signed.headers;
    return headers;
  }

  private async call<T>(method: string, relative: string, query: Record<string, string>, body?: unknown): Promise<T> {
    const url = new URL(relative, this.base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers = await this.authorise(method, url, query, text);
    const res = await this.fetchFn(url, { method, headers, ...(text === undefined ? {} : { body: text }) });
    const raw = await res.text();
    let json: unknown;
    try {
      json = raw ? JSON.parse(raw) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const err = (json as Partial<ErrorBody> | undefined)?.error;
      // API Gateway's own refusals (missing/invalid signature) answer {"message": "…"}.
      const message = err?.message ?? (json as { message?: string } | undefined)?.message ?? raw.slice(0, 500);
      throw new ApiCallError(res.status, err?.code ?? String(res.status), `${method} ${url.pathname}: ${res.status} ${message}`);
    }
    return json as T;
  }
}
