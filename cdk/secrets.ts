import { ArnFormat, Stack } from "aws-cdk-lib";
import { PolicyStatement, type IRole } from "aws-cdk-lib/aws-iam";
import { tasksOf } from "../src/compile/sizing.js";
import type { PipelineGraph, SecretGraph, TaskNode } from "../src/graph/types.js";
import { SECRETS_FROM_ENV } from "../src/runtime/aws-secrets.js";
import { acknowledgeResource } from "./nag.js";

/** The secrets declared by a pipeline's tasks that run on `compute`, each (from, id) once, sorted. */
export function secretsOn(graph: PipelineGraph, compute: TaskNode["compute"]): SecretGraph[] {
  const byKey = new Map<string, SecretGraph>();
  for (const t of tasksOf(graph)) if (t.compute === compute) for (const s of t.secrets ?? []) byKey.set(`${s.from}:${s.id}`, s);
  return [...byKey.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, s]) => s);
}

/** Environment of a step function or job whose steps declare secrets: they are read from AWS. */
export function secretsEnvironment(secrets: readonly SecretGraph[]): Record<string, string> {
  return secrets.length ? { [SECRETS_FROM_ENV]: "aws" } : {};
}

/**
 * Lets `role` read exactly the declared secrets: `secretsmanager:GetSecretValue` on each secret
 * (its ARN ends in `-` and six random characters, hence `-??????`, the form AWS documents for a
 * secret named in a policy) and `ssm:GetParameter` on each parameter. Values encrypted with a
 * customer managed KMS key also need `kms:Decrypt` on that key, which the key's owner grants.
 */
export function grantSecrets(role: IRole, secrets: readonly SecretGraph[]): void {
  const stack = Stack.of(role);
  const sm = secrets.filter((s) => s.from === "secretsmanager").map((s) =>
    stack.formatArn({ service: "secretsmanager", resource: "secret", resourceName: `${s.id}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
  const ssm = secrets.filter((s) => s.from === "ssm").map((s) =>
    stack.formatArn({ service: "ssm", resource: "parameter", resourceName: s.id.replace(/^\//, ""), arnFormat: ArnFormat.SLASH_RESOURCE_NAME }));
  if (sm.length) {
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ["secretsmanager:GetSecretValue"], resources: sm }));
    for (const arn of sm) acknowledgeResource(role, arn, "One declared secret: Secrets Manager appends six random characters to a secret's ARN, so a policy names it with -?????? (AWS's documented form).");
  }
  if (ssm.length) role.addToPrincipalPolicy(new PolicyStatement({ actions: ["ssm:GetParameter"], resources: ssm }));
}
