import { RunNotFoundError } from "../sdk/errors.js";
import { remoteClient } from "../api/connect.js";
import type { RunSource } from "./source.js";

/** Runs listed by the API (`GET /runs`, at most 100: the API's page). */
const LIST_LIMIT = 100;

/**
 * Runs read through the runs API (deployed, or `runnable serve`), SigV4-signed with the caller's AWS
 * credentials. The API serves run logs, not graphs or catalog files: the run page draws the DAG from
 * the run log's steps, and files are downloaded from the bucket (`runnable ui --bucket <name>`).
 */
export async function apiSource(api: string, region: string | undefined): Promise<RunSource> {
  const client = await remoteClient({ api, ...(region ? { region } : {}) });
  // Loaded with the client above (remoteClient loads it on use), so this costs nothing more.
  const { ApiCallError } = await import("../api/client.js");
  const notFound = (e: unknown) => e instanceof ApiCallError && e.status === 404;
  return {
    location: api,
    storeFlags: [],
    async listRuns() {
      const { runs } = await client.listAllRuns(LIST_LIMIT);
      return runs.map((r) => ({ ...r, parameters: r.parameters ?? {}, executions: 1, store: "api" }));
    },
    async hasRun(runId) {
      try {
        await client.runLog(runId);
        return true;
      } catch (e) {
        if (notFound(e)) return false;
        throw e;
      }
    },
    async readRunLog(runId) {
      try {
        return await client.runLog(runId);
      } catch (e) {
        if (notFound(e)) throw new RunNotFoundError(runId, api);
        throw e;
      }
    },
    readGraph: async () => undefined,
    close: async () => {},
  };
}
