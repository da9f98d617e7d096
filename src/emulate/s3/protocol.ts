import type { Credentials } from "./sigv4.js";

/** Messages between the S3 server's supervisor and its process (IPC, JSON). */

export interface ChildConfig {
  root: string;
  /** Name of this server start's temp folder under `<root>/.tmp/`. */
  session: string;
  credentials: Credentials;
  conditionalWrites: boolean;
}

/** Supervisor → server process. A `connection` message carries the accepted socket as its handle. */
export type ParentMessage = { type: "config"; config: ChildConfig } | { type: "connection"; id: number };

/** Server process → supervisor: started; got connection `id` (the supervisor may close its copy). */
export type ChildMessage = { type: "ready" } | { type: "accepted"; id: number };
