import { memoryStores } from "../../src/store/index.js";
import { storeConformance } from "../conformance/store.suite.js";

storeConformance("memory", async () => ({ fresh: () => memoryStores(), atomicCreateOnly: true }));
