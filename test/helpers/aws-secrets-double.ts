import { type JsonDouble, startJsonDouble } from "./aws-json-double.js";

// A local stand-in for the two AWS APIs deployed steps read secrets from, speaking their wire
// protocol (JSON 1.1, the operation in X-Amz-Target) to the real SDK clients: Secrets Manager
// GetSecretValue and SSM GetParameter. It records every request, so tests check what was asked.

/** `endpoint` is for AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL_SSM. */
export type SecretsDouble = JsonDouble;

export async function startSecretsDouble(store: { secretsmanager?: Record<string, string>; ssm?: Record<string, string> }): Promise<SecretsDouble> {
  return startJsonDouble("1.1", ({ target, body }) => {
    if (target === "secretsmanager.GetSecretValue") {
      const id = String(body.SecretId);
      const value = store.secretsmanager?.[id];
      if (value === undefined) return [400, { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." }];
      return [200, { ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${id}-AbCdEf`, Name: id, SecretString: value, VersionId: "v1" }];
    }
    if (target === "AmazonSSM.GetParameter") {
      const name = String(body.Name);
      const value = store.ssm?.[name];
      if (value === undefined) return [400, { __type: "ParameterNotFound", message: "" }];
      return [200, { Parameter: { Name: name, Type: "SecureString", Value: value, Version: 1 } }];
    }
    return [400, { __type: "UnknownOperationException", message: target }];
  });
}
