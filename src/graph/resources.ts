import type { Problem } from "../sdk/errors.js";
import { AWS_LIMITS_DATE, BATCH_LIMITS, FARGATE_SIZES, LAMBDA_LIMITS } from "./aws-limits.js";
import type { TaskNode } from "./types.js";

/** Batch defaults when a step sets neither vCPU nor memory. */
export const BATCH_DEFAULT_SIZE = { vcpu: 1, memoryMiB: 2048 } as const;

/** A Fargate job size: vCPU, memory and (optionally) ephemeral storage. */
export interface FargateSize {
  vcpu: number;
  memoryMiB: number;
  ephemeralStorageMiB?: number;
}

export interface BatchDefaults {
  vcpu?: number;
  memoryMiB?: number;
}

/**
 * The size a batch step runs with. Given both, they are used as they are; given one, the other is the
 * smallest that Fargate pairs with it (`{ vcpu: 4 }` → 8192 MiB, `{ memoryMiB: 16384 }` → 2 vCPU);
 * given neither, the defaults. Undefined when no valid pair exists (resourceProblems says why).
 */
export function fargateSize(task: Pick<TaskNode, "vcpu" | "memoryMiB" | "ephemeralStorageMiB">, defaults: BatchDefaults = {}): FargateSize | undefined {
  const storage = task.ephemeralStorageMiB !== undefined ? { ephemeralStorageMiB: task.ephemeralStorageMiB } : {};
  const given = task.vcpu !== undefined || task.memoryMiB !== undefined;
  const d: BatchDefaults = defaults.vcpu === undefined && defaults.memoryMiB === undefined ? BATCH_DEFAULT_SIZE : defaults;
  const pair = given ? pairOf(task.vcpu, task.memoryMiB) : pairOf(d.vcpu, d.memoryMiB);
  return pair ? { ...pair, ...storage } : undefined;
}

function pairOf(vcpu: number | undefined, memoryMiB: number | undefined): { vcpu: number; memoryMiB: number } | undefined {
  if (vcpu !== undefined) {
    const sizes = FARGATE_SIZES.get(vcpu);
    if (!sizes) return undefined;
    if (memoryMiB === undefined) return { vcpu, memoryMiB: sizes[0]! };
    return sizes.includes(memoryMiB) ? { vcpu, memoryMiB } : undefined;
  }
  if (memoryMiB === undefined) return undefined;
  for (const [v, sizes] of FARGATE_SIZES) if (sizes.includes(memoryMiB)) return { vcpu: v, memoryMiB };
  return undefined;
}

/** "512, 1024 or 2048", or "8192–30720 in steps of 1024" for long even runs. */
export function describeValues(values: readonly number[]): string {
  const step = values.length > 1 ? values[1]! - values[0]! : 0;
  const even = values.length > 4 && values.every((v, i) => i === 0 || v - values[i - 1]! === step);
  if (even) return `${values[0]}–${values[values.length - 1]} in steps of ${step}`;
  return values.length > 1 ? `${values.slice(0, -1).join(", ")} or ${values[values.length - 1]}` : String(values[0]);
}

const LAMBDA = `(AWS Lambda limits of ${AWS_LIMITS_DATE})`;
const FARGATE = `(AWS Batch on Fargate limits of ${AWS_LIMITS_DATE})`;

/**
 * What AWS would refuse in a task's `resources`/`timeoutSeconds` for its compute: every problem with
 * the valid range, so the user can fix the pipeline before anything runs or deploys.
 */
export function resourceProblems(task: TaskNode, batchDefaults: BatchDefaults = {}): Problem[] {
  const problems: Problem[] = [];
  const add = (message: string) => problems.push({ path: task.path, code: "invalid-resources", message });
  if (task.compute === "lambda") {
    const { memoryMiB, ephemeralStorageMiB, timeoutSeconds } = { ...task };
    if (memoryMiB !== undefined && (memoryMiB < LAMBDA_LIMITS.memoryMiB.min || memoryMiB > LAMBDA_LIMITS.memoryMiB.max)) {
      add(`resources.memoryMiB ${memoryMiB} is outside Lambda's ${LAMBDA_LIMITS.memoryMiB.min}–${LAMBDA_LIMITS.memoryMiB.max} MiB ${LAMBDA}: lower it, or use compute: "batch" for more memory`);
    }
    if (timeoutSeconds !== undefined && timeoutSeconds > LAMBDA_LIMITS.timeoutSeconds.max) {
      problems.push({ path: task.path, code: "lambda-timeout", message:
        `timeoutSeconds ${timeoutSeconds} exceeds Lambda's limit of ${LAMBDA_LIMITS.timeoutSeconds.max} s ${LAMBDA}: use compute: "batch" for longer steps` });
    }
    const storage = LAMBDA_LIMITS.ephemeralStorageMiB;
    if (ephemeralStorageMiB !== undefined && (ephemeralStorageMiB < storage.min || ephemeralStorageMiB > storage.max)) {
      add(`resources.ephemeralStorageMiB ${ephemeralStorageMiB} is outside Lambda's ${storage.min}–${storage.max} MiB ${LAMBDA}`);
    }
    if (task.vcpu !== undefined) add(`resources.vcpu applies to compute: "batch" only: a Lambda step's CPU grows with its memoryMiB ${LAMBDA}`);
    return problems;
  }
  const { vcpu, memoryMiB } = task;
  if (vcpu !== undefined && !FARGATE_SIZES.has(vcpu)) {
    add(`resources.vcpu ${vcpu} is not a Fargate size: use ${describeValues([...FARGATE_SIZES.keys()])} ${FARGATE}`);
  } else if (vcpu !== undefined && memoryMiB !== undefined && !FARGATE_SIZES.get(vcpu)!.includes(memoryMiB)) {
    add(`resources { vcpu: ${vcpu}, memoryMiB: ${memoryMiB} } is not a Fargate size: ${vcpu} vCPU takes memoryMiB ${describeValues(FARGATE_SIZES.get(vcpu)!)} ${FARGATE}`);
  } else if (vcpu === undefined && memoryMiB !== undefined && !fargateSize(task)) {
    add(`resources.memoryMiB ${memoryMiB} is not a Fargate memory size: with 1 vCPU use ${describeValues(FARGATE_SIZES.get(1)!)}, `
      + `up to ${describeValues(FARGATE_SIZES.get(16)!)} with 16 vCPU ${FARGATE}`);
  } else if (vcpu === undefined && memoryMiB === undefined && !fargateSize(task, batchDefaults)) {
    add(`the batch defaults { vcpu: ${batchDefaults.vcpu}, memoryMiB: ${batchDefaults.memoryMiB} } are not a Fargate size ${FARGATE}`);
  }
  if (task.timeoutSeconds !== undefined && task.timeoutSeconds < BATCH_LIMITS.timeoutSeconds.min) {
    add(`timeoutSeconds ${task.timeoutSeconds} is below AWS Batch's minimum job timeout of ${BATCH_LIMITS.timeoutSeconds.min} s ${FARGATE}`);
  }
  const storage = BATCH_LIMITS.ephemeralStorageMiB;
  const s = task.ephemeralStorageMiB;
  if (s !== undefined && (s < storage.min || s > storage.max || s % 1024 !== 0)) {
    add(`resources.ephemeralStorageMiB ${s} is not a Fargate ephemeral storage size: whole GiB from ${storage.min} to ${storage.max} MiB (21–200 GiB) ${FARGATE}`);
  }
  if (task.architecture !== undefined && task.architecture !== "x86_64") {
    add(`resources.architecture "${task.architecture}": batch jobs run on x86_64 (the job image is built for linux/amd64)`);
  }
  return problems;
}
