import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fsStores } from "../../src/store/index.js";
import { storeConformance } from "../conformance/store.suite.js";

storeConformance("filesystem", async () => {
  const root = await mkdtemp(path.join(tmpdir(), "runnable-fs-store-"));
  let n = 0;
  return {
    fresh: () => fsStores(path.join(root, String(n++))),
    atomicCreateOnly: true,
    close: () => rm(root, { recursive: true, force: true }),
  };
});
