// Secrets of deployed steps: the Lambda handler, as the stack configures it (RUNNABLE_SECRETS_FROM=aws),
// reads a step's declared secrets from Secrets Manager / SSM Parameter Store with the real SDK clients
// (against a local double of the two APIs), gives them to the step, and keeps them out of the run log
// and the captured output; a secret AWS cannot give fails the step, naming it — never its value.
import { text } from "node:stream/consumers";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeStepHandler } from "../../handlers/step.js";
import { createRun } from "../../src/runtime/index.js";
import { s3Stores } from "../../src/store/index.js";
import type { Stores } from "../../src/store/types.js";
import { startSecretsDouble, type SecretsDouble } from "../helpers/aws-secrets-double.js";
import { startS3rver, type S3rverHandle } from "../helpers/s3rver.js";
import { load, type Loaded } from "../emulate/compare.js";
import { drive } from "./driver.js";

const lambda = { getRemainingTimeInMillis: () => 60_000, awsRequestId: "test" };
const ENV = ["RUNNABLE_SECRETS_FROM", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL_SSM", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

let s3: S3rverHandle;
let stores: Stores;
let aws: SecretsDouble;
let p: Loaded;

beforeAll(async () => {
  s3 = await startS3rver();
  stores = s3Stores({ bucket: s3.bucket, client: s3.client });
  aws = await startSecretsDouble({
    secretsmanager: { db_password: "s3cr3t-pa55" },
    ssm: { "/prod/api_key": "key-0123456789", token: "tok-abcdef" },
  });
  Object.assign(process.env, {
    RUNNABLE_SECRETS_FROM: "aws", AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.endpoint, AWS_ENDPOINT_URL_SSM: aws.endpoint,
    AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test",
  });
  p = await load(join(import.meta.dirname, "fixtures", "secrets.ts"));
}, 60_000);

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  await aws?.close();
  await s3?.stop();
});

async function run(runId: string): Promise<void> {
  const handler = makeStepHandler(() => import(pathToFileURL(p.source).href), { stores, pipelineName: p.fallbackName });
  await createRun(stores, { built: p.built, parameters: {}, runId, mode: "aws", source: p.source });
  await drive(p.built, runId, "exec-1", (event) => handler(event, lambda));
}

describe("secrets of a deployed step", () => {
  it("are read from Secrets Manager and SSM once per container, given to the steps that declare them, masked in everything recorded", async () => {
    aws.requests.length = 0;
    await run("secrets-ok");
    const log = await stores.runLog.readRunLog("secrets-ok");
    expect(log.status, JSON.stringify(log.steps)).toBe("SUCCESS");
    const connect = log.steps.connect!.attempts[0]!;
    expect(connect.outputParameters).toEqual({ url: "postgres://app:***@db/prod", key_length: 14 });
    expect(connect.inputParameters).toEqual({ db_password: "***", api_key: "***" });
    expect(log.steps.call!.attempts[0]!.outputParameters).toEqual({ auth: "Bearer ***", same: 11 });
    expect(log.finalParameters).toEqual({ url: "postgres://app:***@db/prod", key_length: 14, auth: "Bearer ***", same: 11 });
    const printed = await stores.catalog.open("secrets-ok", connect.output!.name);
    expect(await text(printed!.body)).toBe("connecting with key ***\n");
    const raw = JSON.stringify(log);
    for (const value of ["s3cr3t-pa55", "key-0123456789", "tok-abcdef"]) expect(raw).not.toContain(value);

    // Exactly the declared ids, decrypted; each once (the container keeps them), the step's own secret only for that step.
    expect(aws.requests.map((r) => [r.target, r.body]).sort()).toEqual([
      ["AmazonSSM.GetParameter", { Name: "/prod/api_key", WithDecryption: true }],
      ["AmazonSSM.GetParameter", { Name: "token", WithDecryption: true }],
      ["secretsmanager.GetSecretValue", { SecretId: "db_password" }],
    ]);
  }, 60_000);

  it("a secret AWS cannot give fails the step with runnable.SecretUnavailable naming it and where it was looked for", async () => {
    // An SSM without the parameters.
    const double = await startSecretsDouble({ secretsmanager: { db_password: "s3cr3t-pa55" } });
    process.env.AWS_ENDPOINT_URL_SSM = double.endpoint;
    try {
      await run("secrets-missing");
    } finally {
      process.env.AWS_ENDPOINT_URL_SSM = aws.endpoint;
      await double.close();
    }
    const log = await stores.runLog.readRunLog("secrets-missing");
    expect(log.status).toBe("FAIL");
    const error = log.steps.connect!.attempts[0]!.error!;
    expect(error.name).toBe("runnable.SecretUnavailable");
    expect(error.message).toMatch(/^step "connect": secret "api_key" could not be read from SSM parameter "\/prod\/api_key": ParameterNotFound/);
    expect(JSON.stringify(log)).not.toContain("s3cr3t-pa55");
    expect(log.steps.call).toBeUndefined();
  }, 60_000);
});
