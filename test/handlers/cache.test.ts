// The container's read cache keeps only what cannot change: create-only run-log objects.
import { describe, expect, it } from "vitest";
import { ImmutableReadCache } from "../../handlers/shared.js";
import { MemoryBlobStore } from "../../src/store/index.js";

function counting(): { store: MemoryBlobStore; gets: string[] } {
  const store = new MemoryBlobStore();
  const gets: string[] = [];
  const get = store.get.bind(store);
  store.get = (key: string) => (gets.push(key), get(key));
  return { store, gets };
}

describe("ImmutableReadCache", () => {
  it("reads a run-log object from the store once, and never caches the snapshot or catalog objects", async () => {
    const { store, gets } = counting();
    const cache = new ImmutableReadCache(store);
    const attempt = "runs/r1/steps/train/exec-0.json";
    await store.put(attempt, '{"a":1}');
    await store.put("runs/r1/snapshot.json", "v1");
    await store.put("catalog/r1/.objects/train/model.v8", "m1");
    for (let i = 0; i < 3; i++) {
      expect(Buffer.from((await cache.get(attempt))!).toString()).toBe('{"a":1}');
      await cache.get("runs/r1/snapshot.json");
      await cache.get("catalog/r1/.objects/train/model.v8");
    }
    expect(gets.filter((k) => k === attempt)).toHaveLength(1);
    expect(gets.filter((k) => k.endsWith("snapshot.json"))).toHaveLength(3);
    expect(gets.filter((k) => k.startsWith("catalog/"))).toHaveLength(3);
    // A rewritten snapshot is seen at once.
    await cache.put("runs/r1/snapshot.json", "v2");
    expect(Buffer.from((await cache.get("runs/r1/snapshot.json"))!).toString()).toBe("v2");
  });

  it("keeps what it created, but not a body that lost a create-only race", async () => {
    const { store, gets } = counting();
    const cache = new ImmutableReadCache(store);
    expect(await cache.put("runs/r1/header.json", "mine", { ifAbsent: true })).toBe(true);
    expect(Buffer.from((await cache.get("runs/r1/header.json"))!).toString()).toBe("mine");
    expect(gets).toEqual([]);
    await store.put("runs/r1/executions/e.end.json", "theirs");
    expect(await cache.put("runs/r1/executions/e.end.json", "mine", { ifAbsent: true })).toBe(false);
    expect(Buffer.from((await cache.get("runs/r1/executions/e.end.json"))!).toString()).toBe("theirs");
  });

  it("a missing object is not remembered as missing", async () => {
    const { store } = counting();
    const cache = new ImmutableReadCache(store);
    expect(await cache.get("runs/r1/steps/x/e-0.json")).toBeUndefined();
    await store.put("runs/r1/steps/x/e-0.json", "late");
    expect(Buffer.from((await cache.get("runs/r1/steps/x/e-0.json"))!).toString()).toBe("late");
  });
});
