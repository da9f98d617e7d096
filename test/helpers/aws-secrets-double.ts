import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

// A local stand-in for the two AWS APIs deployed steps read secrets from, speaking their wire
// protocol (JSON 1.1, the operation in X-Amz-Target) to the real SDK clients: Secrets Manager
// GetSecretValue and SSM GetParameter. It records every request, so tests check what was asked.

export interface SecretsDouble {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL_SSM. */
  endpoint: string;
  /** Every request: the operation and its JSON body. */
  requests: { target: string; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

export async function startSecretsDouble(store: { secretsmanager?: Record<string, string>; ssm?: Record<string, string> }): Promise<SecretsDouble> {
  const requests: SecretsDouble["requests"] = [];
  const server: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => { text += c.toString(); });
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      requests.push({ target, body });
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify(json));
      };
      if (target === "secretsmanager.GetSecretValue") {
        const id = String(body.SecretId);
        const value = store.secretsmanager?.[id];
        if (value === undefined) return reply(400, { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." });
        return reply(200, { ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${id}-AbCdEf`, Name: id, SecretString: value, VersionId: "v1" });
      }
      if (target === "AmazonSSM.GetParameter") {
        const name = String(body.Name);
        const value = store.ssm?.[name];
        if (value === undefined) return reply(400, { __type: "ParameterNotFound", message: "" });
        return reply(200, { Parameter: { Name: name, Type: "SecureString", Value: value, Version: 1 } });
      }
      reply(400, { __type: "UnknownOperationException", message: target });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
