import { s3Stores } from "../../src/store/index.js";
import { storeConformance } from "../conformance/store.suite.js";
import { startS3rver } from "../helpers/s3rver.js";

// The same suite where the server honours If-None-Match like real S3: the store's conditional
// PutObject path (412 → false) decides concurrent create-only races, so exactly one writer wins.
storeConformance("s3 (s3rver honouring If-None-Match)", async () => {
  const s3 = await startS3rver({ conditionalWrites: true });
  let n = 0;
  return {
    fresh: () => s3Stores({ bucket: s3.bucket, client: s3.client, prefix: `c${n++}` }),
    atomicCreateOnly: true,
    close: () => s3.stop(),
  };
});
