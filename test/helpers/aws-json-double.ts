import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

// The wire of AWS's JSON protocols (1.0 and 1.1: a POST whose X-Amz-Target names the operation, a
// JSON body, errors as `{ __type, message }` with a 400) for local stand-ins of AWS APIs that the
// real SDK clients talk to. Every request is recorded, so tests check what was asked.

export interface JsonRequest { target: string; body: Record<string, unknown> }

export interface JsonDouble {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  requests: JsonRequest[];
  close(): Promise<void>;
}

/** Answers each request with `answer(request)`: `[status, json]`. */
export async function startJsonDouble(version: "1.0" | "1.1", answer: (request: JsonRequest) => [number, unknown]): Promise<JsonDouble> {
  const requests: JsonRequest[] = [];
  const server: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => { text += c.toString(); });
    req.on("end", () => {
      const request = { target: String(req.headers["x-amz-target"] ?? ""), body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
      requests.push(request);
      const [status, json] = answer(request);
      res.writeHead(status, { "content-type": `application/x-amz-json-${version}` });
      res.end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
