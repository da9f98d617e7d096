import type { SecretGraph } from "../graph/types.js";
import { secretError, type SecretFetcher } from "./secrets.js";

/**
 * Secrets of deployed steps, read from AWS Secrets Manager (`GetSecretValue`) or SSM Parameter Store
 * (`GetParameter`, decrypted) with the function's or job's role, which the CDK construct allows to
 * read exactly the declared ids. The clients are loaded on first use (a pipeline without secrets
 * never loads them; on Lambda they come from the runtime's AWS SDK, like the S3 client). Values are
 * kept per container for `ttlMs`, so a warm Lambda does not call AWS for every step and a rotated
 * secret is picked up within that time. Endpoints follow the SDK's own settings
 * (`AWS_ENDPOINT_URL_SECRETS_MANAGER`, `AWS_ENDPOINT_URL_SSM`), which is how tests point them at a
 * local double.
 */

/** Environment variable the construct sets on step functions and Batch jobs: where declared secrets live. */
export const SECRETS_FROM_ENV = "RUNNABLE_SECRETS_FROM";

export interface AwsSecretsOptions {
  /** How long a value read is reused in this process. Default 5 minutes. */
  ttlMs?: number;
  now?: () => number;
}

type Read = (id: string) => Promise<string>;

export function awsSecretFetcher(options: AwsSecretsOptions = {}): SecretFetcher {
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { value: string; at: number }>();
  const readers: Partial<Record<SecretGraph["from"], Promise<Read>>> = {};
  const readerOf = (from: SecretGraph["from"]): Promise<Read> => (readers[from] ??= from === "ssm" ? ssmReader() : secretsManagerReader());

  return async (wanted, step) => {
    const entries = await Promise.all(wanted.map(async (s): Promise<[string, string]> => {
      const key = `${s.from}:${s.id}`;
      const hit = cache.get(key);
      if (hit && now() - hit.at < ttlMs) return [s.name, hit.value];
      let value: string;
      try {
        value = await (await readerOf(s.from))(s.id);
      } catch (e) {
        // The AWS error's name and message say what is wrong (AccessDenied, ResourceNotFound); never a value.
        const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        throw secretError(`step "${step}": secret "${s.name}" could not be read from ${where(s)}: ${why}`, e);
      }
      cache.set(key, { value, at: now() });
      return [s.name, value];
    }));
    return Object.fromEntries(entries);
  };
}

function where(s: SecretGraph): string {
  return s.from === "ssm" ? `SSM parameter "${s.id}"` : `Secrets Manager secret "${s.id}"`;
}

async function secretsManagerReader(): Promise<Read> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import("@aws-sdk/client-secrets-manager");
  const client = new SecretsManagerClient({});
  return async (id) => {
    const out = await client.send(new GetSecretValueCommand({ SecretId: id }));
    if (typeof out.SecretString !== "string") throw new Error("the secret has no SecretString (binary secrets are not supported)");
    return out.SecretString;
  };
}

async function ssmReader(): Promise<Read> {
  const { SSMClient, GetParameterCommand } = await import("@aws-sdk/client-ssm");
  const client = new SSMClient({});
  return async (id) => {
    const out = await client.send(new GetParameterCommand({ Name: id, WithDecryption: true }));
    const value = out.Parameter?.Value;
    if (typeof value !== "string") throw new Error("the parameter has no value");
    return value;
  };
}
