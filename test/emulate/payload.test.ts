// Issue 3's payload bound through the real emulator: handler processes move a 5 MB catalog file, a
// 10,000-item list and a 300 KB string through the S3 stores, and the execution event log shows
// every state's input and output staying under 2 KB (references, never data) — through a Parallel
// whose branches read the file and a Map over a slice produced by a step.
import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readEventLog, runInEmulator } from "../../src/emulate/index.js";
import { BLOB_CHARS, catalogBytes, FILE_BYTES, ITEMS } from "./fixtures/payload.js";
import { load, useEmulator } from "./compare.js";

const KB2 = 2048;
const emulator = useEmulator(4);

describe("payload bound with real handlers", () => {
  it("a 5 MB catalog file, a 10,000-item list and a 300 KB return: every state input/output stays under 2 KB", async () => {
    const p = await load(join(import.meta.dirname, "fixtures", "payload.ts"));
    const r = await runInEmulator({ built: p.built, source: p.source, parameters: {}, session: emulator.session(), retryIntervalMs: 0 });
    expect(r.status, JSON.stringify(r.runLog.steps, null, 1).slice(0, 2000)).toBe("SUCCESS");

    // The data really went through: the file both branches got is the one written, the returns are whole.
    const md5 = createHash("md5").update(catalogBytes()).digest("hex");
    expect(r.parameters.md5_a).toBe(md5);
    expect(r.parameters.md5_b).toBe(md5);
    expect(r.runLog.steps.produce?.catalog).toMatchObject([{ name: "catalog.bin", stage: "put", md5, size: FILE_BYTES }]);
    expect(r.parameters.items).toHaveLength(ITEMS);
    expect((r.parameters.items as { name: string }[])[ITEMS - 1]).toEqual({ id: ITEMS - 1, name: `item-${ITEMS - 1}` });
    expect((r.parameters.blob as string).length).toBe(BLOB_CHARS);
    expect(r.parameters.labels).toEqual([0, 1, 2].map((i) => `item-${i}:${BLOB_CHARS}`));
    expect(r.parameters.summary).toBe(`${ITEMS} items, ${BLOB_CHARS} chars, ${[0, 1, 2].map((i) => `item-${i}:${BLOB_CHARS}`).join(" ")}`);
    expect(Object.keys(r.runLog.steps)).toEqual(expect.arrayContaining(["check.a.md5_a", "check.b.md5_b", "each.0.label", "each.2.label"]));

    const [log, ...more] = await readEventLog(r.runId, { s3Endpoint: emulator.s3().endpoint, bucket: emulator.s3().bucket });
    expect(more).toEqual([]);
    expect(log!.status).toBe("SUCCEEDED");
    const sized = log!.events.filter((e) => e.input !== undefined || e.output !== undefined);
    // Every kind of state showed its data: Tasks (the steps and the protocol's own), the Parallel, the Map and its iterations.
    expect([...new Set(sized.flatMap((e) => (e.stateType ? [e.stateType] : [])))].sort()).toEqual(["Choice", "Map", "Parallel", "Pass", "Task"]);
    expect(sized.filter((e) => e.state === "each.each.label" && e.type === "StateExited")).toHaveLength(3);
    expect(sized.filter((e) => e.state?.startsWith("check.") && e.type === "StateExited")).toHaveLength(2);
    expect(sized.at(-1)).toMatchObject({ type: "ExecutionSucceeded" });
    const largest = Math.max(...sized.flatMap((e) => [JSON.stringify(e.input ?? null).length, JSON.stringify(e.output ?? null).length]));
    const offender = sized.find((e) => JSON.stringify(e.input ?? null).length >= KB2 || JSON.stringify(e.output ?? null).length >= KB2);
    expect(largest, JSON.stringify(offender)?.slice(0, 500)).toBeLessThan(KB2);
  }, 60_000);
});
