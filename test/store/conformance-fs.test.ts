import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { BlobCatalogStore, BlobRunLogStore, FsBlobStore, fsStores } from "../../src/store/index.js";
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

// What the local executor writes with: step attempts appended to a journal (see store/journal.ts).
storeConformance("filesystem, journaled attempts", async () => {
  const root = await mkdtemp(path.join(tmpdir(), "runnable-fs-journal-"));
  let n = 0;
  return {
    fresh: () => {
      const blob = new FsBlobStore(path.join(root, String(n++)));
      return { runLog: new BlobRunLogStore(blob, { journal: true }), catalog: new BlobCatalogStore(blob), blob };
    },
    atomicCreateOnly: true,
    journaled: true,
    close: () => rm(root, { recursive: true, force: true }),
  };
});
