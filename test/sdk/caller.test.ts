// Where a Pipeline or a NotebookTask was constructed (its notebook is found beside that file), read
// from stack frames in the shapes Node and tsx write them.
import { describe, expect, it } from "vitest";
import { frameFile } from "../../src/sdk/caller.js";

describe("frameFile", () => {
  it("reads paths and file URLs, without the query tsx adds", () => {
    expect(frameFile("    at Object.<anonymous> (/home/me/flows/pipeline.ts:4:36)")).toBe("/home/me/flows/pipeline.ts");
    expect(frameFile("    at file:///home/me/my%20flows/pipeline.ts?tsx-namespace=1234:40:5")).toBe("/home/me/my flows/pipeline.ts");
    expect(frameFile("    at new NotebookTask (file:///app/node_modules/runnable-ts/dist/src/sdk/notebook.js:47:22)")).toBe("/app/node_modules/runnable-ts/dist/src/sdk/notebook.js");
  });

  it("reads the entry file of a CommonJS project, which tsx evaluates as a data: URL naming it in filePath", () => {
    const url = "data:text/javascript,__filename%3D%22%2Fp%2Fpipeline.ts%22%3B(()%3D%3E%7Brequire(%22x%22)%7D)()%0A"
      + "?filePath=%2Fhome%2Fme%2Fflows%2Fpipeline.ts%3Fnamespace%3D58701c0c-0326-467d-a9c4-f6e622aa27c2";
    expect(frameFile(`    at ${url}:2:838`)).toBe("/home/me/flows/pipeline.ts");
    expect(frameFile(`    at Object.<anonymous> (${url}:3:3)`)).toBe("/home/me/flows/pipeline.ts");
  });

  it("has no file for Node's internals", () => {
    expect(frameFile("    at ModuleJob.run (node:internal/modules/esm/module_job:234:25)")).toBeUndefined();
    expect(frameFile("    at Module._compile (node:internal/modules/cjs/loader:1521:14)")).toBeUndefined();
    expect(frameFile("    at Array.map (<anonymous>)")).toBeUndefined();
  });
});
