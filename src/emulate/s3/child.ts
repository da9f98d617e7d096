import { createServer } from "node:http";
import type { Socket } from "node:net";
import { createS3Handler } from "./server.js";
import type { ChildConfig, ChildMessage, ParentMessage } from "./protocol.js";

/**
 * The emulator's S3 server process. Its supervisor (s3server.ts) owns the listening socket and
 * hands each accepted connection over IPC; this process serves it. The credentials arrive over IPC
 * too (never in argv or the environment, which other users can read on some systems).
 */

const send = (message: ChildMessage): void => {
  process.send?.(message);
};

let handle: ReturnType<typeof createS3Handler> | undefined;
// Headers must arrive within 20 s; a whole request (a 5 GiB upload at ~100 MB/s is under a minute) within 15 minutes.
const server = createServer({ requestTimeout: 15 * 60_000, headersTimeout: 20_000 }, (req, res) => handle!(req, res));

function configure(config: ChildConfig): void {
  handle = createS3Handler({ root: config.root, session: config.session, credentials: config.credentials, conditionalWrites: config.conditionalWrites });
  send({ type: "ready" });
}

process.on("message", (message: ParentMessage, socket?: Socket) => {
  if (message.type === "config") configure(message.config);
  else if (message.type === "connection" && socket) {
    send({ type: "accepted", id: message.id });
    server.emit("connection", socket);
    socket.resume();
  }
});

// The supervisor going away closes the IPC channel: never outlive it.
process.on("disconnect", () => process.exit(0));
// Writes are atomic (temp file + rename): stopping mid-request loses no object.
process.on("SIGTERM", () => process.exit(0));
// A bug must not leave a half-working server behind: exit, and the supervisor starts a fresh one.
process.on("uncaughtException", (e) => {
  process.stderr.write(`runnable S3 server: ${e.stack ?? e.message}\n`);
  process.exit(70);
});
