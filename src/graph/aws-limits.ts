/**
 * AWS limits a pipeline's deployed steps must respect, as data. Checked at definition time (every
 * `run`, `check`, `compile` and `cdk synth`), so a size AWS refuses fails here — exit 2, naming the
 * step and the valid range — instead of at registration or job start on AWS only.
 *
 * Sources, read 2026-11-29 (update the values and the date together):
 * - Lambda: "Lambda quotas" (docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): memory
 *   128–10,240 MB in 1 MB steps, timeout 900 s; EphemeralStorage (Lambda API reference,
 *   API_EphemeralStorage.html): 512–10,240 MB.
 * - Batch on Fargate: Batch API reference, ResourceRequirement (API_ResourceRequirement.html, as in
 *   @aws-sdk/client-batch 3.1138.0): each vCPU value and the MEMORY values it accepts. The reference
 *   also lists 32 vCPU; Fargate task sizes stop at 16 vCPU, so 32 is left out here.
 *   Fargate ephemeral storage (Batch EphemeralStorage, API_EphemeralStorage.html): 21–200 GiB.
 *   JobTimeout.attemptDurationSeconds (API_JobTimeout.html): at least 60 s.
 */
export const AWS_LIMITS_DATE = "2026-11-29";

export const LAMBDA_LIMITS = {
  memoryMiB: { min: 128, max: 10_240 },
  timeoutSeconds: { max: 900 },
  ephemeralStorageMiB: { min: 512, max: 10_240 },
  architectures: ["arm64", "x86_64"],
  source: "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
} as const;

/** MiB values from `from` to `to` in steps of `step`. */
function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** Fargate vCPU → the memory values (MiB) Batch accepts with it. */
export const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [0.25, [512, 1024, 2048]],
  [0.5, range(1024, 4096, 1024)],
  [1, range(2048, 8192, 1024)],
  [2, range(4096, 16_384, 1024)],
  [4, range(8192, 30_720, 1024)],
  [8, range(16_384, 61_440, 4096)],
  [16, range(32_768, 122_880, 8192)],
]);

export const BATCH_LIMITS = {
  /** A job's attempt duration (Batch refuses shorter timeouts). */
  timeoutSeconds: { min: 60 },
  /** Fargate ephemeral storage, 21–200 GiB (given in MiB, whole GiB). */
  ephemeralStorageMiB: { min: 21 * 1024, max: 200 * 1024 },
  /** The job image is built for linux/amd64 (cdk/batch.ts). */
  architectures: ["x86_64"],
  source: "https://docs.aws.amazon.com/batch/latest/APIReference/API_ResourceRequirement.html",
} as const;
