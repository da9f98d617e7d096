import { s3Stores } from "../../src/store/index.js";
import { storeConformance } from "../conformance/store.suite.js";
import { startS3rver } from "../helpers/s3rver.js";

// Over the S3 protocol against s3rver on 127.0.0.1; each test gets its own key prefix.
storeConformance("s3 (s3rver)", async () => {
  const s3 = await startS3rver();
  let n = 0;
  return {
    fresh: () => s3Stores({ bucket: s3.bucket, client: s3.client, prefix: `t${n++}` }),
    // s3rver ignores If-None-Match; the store's HEAD re-check cannot close the race alone.
    atomicCreateOnly: false,
    close: () => s3.stop(),
  };
});
