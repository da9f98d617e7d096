import { Catalog } from "./catalog.js";
import { DefinitionError } from "./errors.js";
import { toReturn } from "./returns.js";
import { PARAMETER_NAME, STEP_NAME, type Compute, type Resources, type RetryPolicy, type Return, type SecretSpec } from "./types.js";

// Construction-time checks: each throws a DefinitionError naming the step and the option.

export function fail(step: string, code: string, message: string): never {
  throw DefinitionError.one(step, code, message);
}

export function checkName(name: unknown, kind: string): string {
  if (typeof name !== "string" || !STEP_NAME.test(name)) {
    const shown = typeof name === "string" ? JSON.stringify(name) : String(name);
    fail(typeof name === "string" ? name : "", "invalid-name",
      `${kind} name ${shown} is invalid: it must match ${STEP_NAME.source}`);
  }
  return name;
}

export function checkParameterName(step: string, field: string, value: unknown): string {
  if (typeof value !== "string" || !PARAMETER_NAME.test(value)) {
    fail(step, "invalid-parameter-name",
      `${field} ${JSON.stringify(value)} is not a valid parameter name (${PARAMETER_NAME.source})`);
  }
  return value;
}

export function checkReturns(step: string, returns: unknown): Return[] {
  if (returns === undefined) return [];
  if (!Array.isArray(returns)) fail(step, "invalid-returns", "returns must be an array of names or json()/object()/metric()");
  const out = returns.map((r, i) => {
    const ret = typeof r === "string" ? toReturn(r) : (r as Return);
    if (!ret || typeof ret !== "object" || !["json", "object", "metric"].includes(ret.kind)) {
      fail(step, "invalid-returns", `returns[${i}] must be a name or json()/object()/metric()`);
    }
    checkParameterName(step, `returns[${i}]`, ret.name);
    return ret;
  });
  const seen = new Set<string>();
  for (const r of out) {
    if (seen.has(r.name)) fail(step, "duplicate-return", `return "${r.name}" is declared twice`);
    seen.add(r.name);
  }
  return out;
}

/** `reads` of a FunctionTask: parameter names, each optionally followed by "?" (an optional read). */
export function checkReads(step: string, reads: unknown): readonly string[] | undefined {
  if (reads === undefined) return undefined;
  if (!Array.isArray(reads)) fail(step, "invalid-reads", 'reads must be an array of parameter names (e.g. ["values", "depth?"])');
  reads.forEach((r, i) => {
    if (typeof r !== "string" || !PARAMETER_NAME.test(r.replace(/\?$/, ""))) {
      fail(step, "invalid-reads", `reads[${i}] ${JSON.stringify(r)} is not a parameter name (${PARAMETER_NAME.source}, optionally followed by "?")`);
    }
  });
  return Object.freeze([...(reads as string[])]);
}

export function checkCatalog(step: string, catalog: unknown): Catalog | undefined {
  if (catalog === undefined) return undefined;
  if (!(catalog instanceof Catalog)) fail(step, "invalid-catalog", "catalog must be a new Catalog({ get, put })");
  return catalog;
}

export function checkRetry(step: string, retry: RetryPolicy | undefined): RetryPolicy | undefined {
  if (retry === undefined) return undefined;
  if (typeof retry !== "object" || retry === null) fail(step, "invalid-retry", "retry must be an object");
  const { attempts, intervalSeconds, backoffRate, maxDelaySeconds } = retry;
  if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 1 || attempts > 100)) {
    fail(step, "invalid-retry", `retry.attempts must be an integer from 1 to 100, got ${attempts}`);
  }
  if (intervalSeconds !== undefined && (!Number.isFinite(intervalSeconds) || intervalSeconds < 0 || intervalSeconds > 99_999_999)) {
    fail(step, "invalid-retry", `retry.intervalSeconds must be a number ≥ 0, got ${intervalSeconds}`);
  }
  if (backoffRate !== undefined && (!Number.isFinite(backoffRate) || backoffRate < 1)) {
    fail(step, "invalid-retry", `retry.backoffRate must be a number ≥ 1, got ${backoffRate}`);
  }
  if (maxDelaySeconds !== undefined && (!Number.isInteger(maxDelaySeconds) || maxDelaySeconds < 1)) {
    fail(step, "invalid-retry", `retry.maxDelaySeconds must be a positive integer, got ${maxDelaySeconds}`);
  }
  return { ...retry };
}

export function checkTimeout(step: string, timeoutSeconds: unknown): number | undefined {
  if (timeoutSeconds === undefined) return undefined;
  if (typeof timeoutSeconds !== "number" || !Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) {
    fail(step, "invalid-timeout", `timeoutSeconds must be a positive integer, got ${String(timeoutSeconds)}`);
  }
  return timeoutSeconds;
}

export function checkCompute(step: string, compute: unknown): Compute {
  if (compute === undefined) return "lambda";
  if (compute !== "lambda" && compute !== "batch") {
    fail(step, "invalid-compute", `compute must be "lambda" or "batch", got ${JSON.stringify(compute)}`);
  }
  return compute;
}

export function checkResources(step: string, resources: unknown): Resources | undefined {
  if (resources === undefined) return undefined;
  if (typeof resources !== "object" || resources === null) fail(step, "invalid-resources", "resources must be an object");
  const { memoryMiB, vcpu, ephemeralStorageMiB, architecture } = resources as Resources;
  if (memoryMiB !== undefined && (!Number.isInteger(memoryMiB) || memoryMiB < 128 || memoryMiB > 122_880)) {
    fail(step, "invalid-resources", `resources.memoryMiB must be an integer from 128 to 122880, got ${memoryMiB}`);
  }
  if (vcpu !== undefined && (typeof vcpu !== "number" || !(vcpu > 0) || vcpu > 16)) {
    fail(step, "invalid-resources", `resources.vcpu must be a number above 0 and at most 16, got ${vcpu}`);
  }
  if (ephemeralStorageMiB !== undefined && (!Number.isInteger(ephemeralStorageMiB) || ephemeralStorageMiB < 1)) {
    fail(step, "invalid-resources", `resources.ephemeralStorageMiB must be a positive integer, got ${ephemeralStorageMiB}`);
  }
  if (architecture !== undefined && architecture !== "arm64" && architecture !== "x86_64") {
    fail(step, "invalid-resources", `resources.architecture must be "arm64" or "x86_64", got ${JSON.stringify(architecture)}`);
  }
  const known = ["memoryMiB", "vcpu", "ephemeralStorageMiB", "architecture"];
  const unknown = Object.keys(resources).filter((k) => !known.includes(k));
  if (unknown.length) fail(step, "invalid-resources", `resources has unknown field ${JSON.stringify(unknown[0])} (known: ${known.join(", ")})`);
  return { ...(resources as Resources) };
}

/**
 * Secret ids as AWS allows them (Secrets Manager names; SSM parameter names, optionally with a
 * leading "/"). Never "*" or "?": an id is also an IAM resource ARN, where those are wildcards.
 */
const SECRET_ID: Record<NonNullable<SecretSpec["from"]>, RegExp> = {
  secretsmanager: /^[A-Za-z0-9/_+=.@-]{1,512}$/,
  ssm: /^\/?[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/,
};

/** `secrets` of a task or pipeline: names or `{ name, from, id }`, normalised with their defaults; each name once. */
export function checkSecretSpecs(step: string, secrets: unknown): Required<SecretSpec>[] | undefined {
  if (secrets === undefined) return undefined;
  if (!Array.isArray(secrets)) fail(step, "invalid-secrets", "secrets must be an array of secret names or { name, from, id } objects");
  const out: Required<SecretSpec>[] = [];
  for (const [i, raw] of secrets.entries()) {
    const spec = typeof raw === "string" ? { name: raw } : raw as SecretSpec;
    if (typeof spec !== "object" || spec === null) fail(step, "invalid-secrets", `secrets[${i}] must be a secret name or { name, from, id }`);
    const unknown = Object.keys(spec).filter((k) => !["name", "from", "id"].includes(k));
    if (unknown.length) fail(step, "invalid-secrets", `secrets[${i}] has unknown field ${JSON.stringify(unknown[0])} (known: name, from, id)`);
    const name = checkParameterName(step, `secrets[${i}] name`, spec.name);
    const from = spec.from ?? "secretsmanager";
    if (from !== "secretsmanager" && from !== "ssm") fail(step, "invalid-secrets", `secret "${name}": from must be "secretsmanager" or "ssm", got ${JSON.stringify(from)}`);
    const id = spec.id ?? name;
    if (typeof id !== "string" || !SECRET_ID[from].test(id) || (from === "ssm" && id.replace(/^\//, "").length > 1011)) {
      fail(step, "invalid-secrets", `secret "${name}": id ${JSON.stringify(id)} is not a valid ${from === "ssm" ? "SSM parameter" : "Secrets Manager secret"} name (${SECRET_ID[from].source})`);
    }
    if (out.some((s) => s.name === name)) fail(step, "invalid-secrets", `secret "${name}" is listed twice`);
    out.push({ name, from, id });
  }
  return out;
}
