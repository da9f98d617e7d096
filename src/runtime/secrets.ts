import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { ERRORS } from "../core/protocol.js";
import { StepFailure } from "../sdk/errors.js";
import { walk } from "../graph/paths.js";
import type { PipelineGraph, SecretGraph } from "../graph/types.js";
import type { StepError } from "../sdk/runlog.js";
import { reservedNameMessage } from "../graph/reserved.js";
import { PARAMETER_NAME, type JsonValue } from "../sdk/types.js";
import type { AttemptRecord } from "../store/types.js";

/**
 * Secrets: `RUNNABLE_SECRET_<name>` environment variables of the process that runs a step. They
 * join a FunctionTask's argument and a ShellTask's environment as `<name>` (always strings, never
 * JSON-parsed) but never the run log: everything this module's callers write to the store passes
 * through the masks below. Read from `process.env` on every use, so a warm Lambda container, a Batch
 * job and the emulator's handler processes (which inherit the CLI's environment) see what their
 * environment holds at the time.
 */
export const SECRET_PREFIX = "RUNNABLE_SECRET_";

/** What replaces a secret in anything recorded. */
export const MASK = "***";

/** Values shorter than this are only masked by name (as text they would match too much). */
export const MIN_MASKED_LENGTH = 4;

export interface Secrets {
  /** name → value of every well-named secret. */
  values: Record<string, string>;
  /** Every secret name (also ill-formed ones), for masking by name. */
  names: Set<string>;
  /** Texts to mask wherever they occur (longest first, so a secret containing another is masked whole). */
  needles: string[];
  /** Variables whose name is not a valid parameter name, or a reserved one (see graph/reserved.ts). */
  invalid: string[];
}

export function readSecrets(env: NodeJS.ProcessEnv = process.env): Secrets {
  const values: Record<string, string> = {};
  const names = new Set<string>();
  const needles = new Set<string>();
  const invalid: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith(SECRET_PREFIX) || value === undefined) continue;
    const name = key.slice(SECRET_PREFIX.length);
    names.add(name);
    if (value.length >= MIN_MASKED_LENGTH) needles.add(value);
    if (PARAMETER_NAME.test(name) && !reservedNameMessage("secret", name)) values[name] = value;
    else invalid.push(key);
  }
  return { values, names, needles: [...needles].sort((a, b) => b.length - a.length), invalid };
}

/** Why the secret variable `key` is refused (naming it, never its value). */
export function secretProblem(key: string): string {
  const name = key.slice(SECRET_PREFIX.length);
  const reserved = PARAMETER_NAME.test(name) ? reservedNameMessage("secret", name) : undefined;
  return `environment variable ${key}: ${reserved ?? `secret name must match ${PARAMETER_NAME.source} (the text after ${SECRET_PREFIX})`}`;
}

/** Adds secrets read elsewhere (AWS) to those of the environment: the same masking covers them. */
export function withSecretValues(base: Secrets, extra: Record<string, string>): Secrets {
  const names = new Set([...base.names, ...Object.keys(extra)]);
  const needles = new Set(base.needles);
  for (const value of Object.values(extra)) if (value.length >= MIN_MASKED_LENGTH) needles.add(value);
  return { values: { ...base.values, ...extra }, names, needles: [...needles].sort((a, b) => b.length - a.length), invalid: base.invalid };
}

/** Reads the declared secrets a step lacks from where the deployed step keeps them (AWS), by name. */
export type SecretFetcher = (wanted: readonly SecretGraph[], step: string) => Promise<Record<string, string>>;

export function secretError(message: string, cause?: unknown): StepFailure {
  return new StepFailure(ERRORS.secretUnavailable, message, cause === undefined ? undefined : { cause });
}

/**
 * The secrets a step runs with: those of the environment, plus its declared ones the environment
 * lacks, read by `fetch` (deployed steps). A declared secret that is nowhere fails the step, naming it.
 */
export async function stepSecrets(base: Secrets, declared: readonly SecretGraph[] | undefined, step: string, fetch?: SecretFetcher): Promise<Secrets> {
  const missing = (declared ?? []).filter((s) => !(s.name in base.values));
  if (missing.length === 0) return base;
  if (!fetch) throw secretError(`step "${step}" needs ${missingText(missing.map((s) => s.name))}`);
  return withSecretValues(base, await fetch(missing, step));
}

function missingText(names: string[]): string {
  const vars = names.map((n) => SECRET_PREFIX + n).join(", ");
  return `secret${names.length > 1 ? "s" : ""} ${names.map((n) => `"${n}"`).join(", ")}, which ${names.length > 1 ? "are" : "is"} not set: set ${vars} in the environment or in a .env file of the working directory`;
}

/** Declared secrets the environment lacks, as "step: names" lines (local and emulator runs check before anything starts). */
export function unsetSecrets(graph: PipelineGraph, secrets: Secrets): string[] {
  const out: string[] = [];
  walk(graph, (node) => {
    if (node.kind !== "function" && node.kind !== "shell") return;
    const missing = (node.secrets ?? []).filter((s) => !(s.name in secrets.values)).map((s) => s.name);
    if (missing.length) out.push(`step "${node.path}" needs ${missingText(missing)}`);
  });
  return out;
}

/**
 * `.env` of a directory, dotenv semantics (Node's own parser, `util.parseEnv`): its
 * `RUNNABLE_SECRET_*` lines join `env` where `env` does not already set them (the environment wins).
 * Other lines are ignored. Nothing is written anywhere else; a missing file is no error.
 */
export function loadDotEnvSecrets(dir: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string[] {
  let text: string;
  try {
    text = readFileSync(join(dir, ".env"), "utf8");
  } catch {
    return [];
  }
  const added: string[] = [];
  for (const [key, value] of Object.entries(parseEnv(text))) {
    if (!key.startsWith(SECRET_PREFIX) || env[key] !== undefined) continue;
    env[key] = String(value);
    added.push(key);
  }
  return added;
}

/** Throws (naming the variable, never its value) when a secret's name is not a usable parameter name. */
export function checkSecrets(secrets: Secrets): void {
  if (secrets.invalid.length) throw new Error(secretProblem(secrets.invalid[0]!));
}

export function maskText(text: string, secrets: Secrets): string {
  let out = text;
  for (const n of secrets.needles) if (out.includes(n)) out = out.split(n).join(MASK);
  return out;
}

/** Masks every occurrence of a secret inside string values (and keys), deep; the same object when nothing changed. */
export function maskValue(value: JsonValue, secrets: Secrets): JsonValue {
  if (secrets.needles.length === 0) return value;
  if (typeof value === "string") return maskText(value, secrets);
  if (value === null || typeof value !== "object") return value;
  let changed = false;
  if (Array.isArray(value)) {
    const out = value.map((v) => {
      const m = maskValue(v, secrets);
      if (m !== v) changed = true;
      return m;
    });
    return changed ? out : value;
  }
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(value)) {
    const mk = maskText(k, secrets);
    const mv = maskValue(v, secrets);
    if (mk !== k || mv !== v) changed = true;
    out[mk] = mv;
  }
  return changed ? out : value;
}

/**
 * Masks a set of named values for the run log: a name that is a secret's records `***` whatever its
 * value (a parameter of that name is shadowed by the secret, so its value is kept out too), and any
 * secret occurring inside another value is replaced by `***`.
 */
export function maskParameters(params: Record<string, JsonValue>, secrets: Secrets = readSecrets()): Record<string, JsonValue> {
  if (secrets.names.size === 0) return params;
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(params)) out[k] = secrets.names.has(k) ? MASK : maskValue(v, secrets);
  return out;
}

export function maskError(error: StepError, secrets: Secrets = readSecrets()): StepError {
  if (secrets.needles.length === 0) return error;
  return {
    name: maskText(error.name, secrets), message: maskText(error.message, secrets),
    ...(error.stack !== undefined ? { stack: maskText(error.stack, secrets) } : {}),
  };
}

/** The attempt as the run log may hold it: parameters, outputs, metrics and error masked. */
export function maskRecord(record: AttemptRecord, secrets: Secrets = readSecrets()): AttemptRecord {
  if (secrets.names.size === 0) return record;
  return {
    ...record,
    inputParameters: maskParameters(record.inputParameters, secrets),
    outputParameters: maskParameters(record.outputParameters, secrets),
    metrics: maskParameters(record.metrics, secrets),
    error: record.error ? maskError(record.error, secrets) : null,
  };
}

/**
 * Masks secrets in bytes (what a step printed, before it is stored). Works on bytes (latin1 maps
 * each byte to one code unit), so output that is not UTF-8 survives unchanged. The same buffer when
 * nothing matched.
 */
export function maskBytes(bytes: Buffer, secrets: Secrets = readSecrets()): Buffer {
  if (secrets.needles.length === 0) return bytes;
  const text = bytes.toString("latin1");
  let out = text;
  for (const n of secrets.needles) {
    const needle = Buffer.from(n, "utf8").toString("latin1");
    if (out.includes(needle)) out = out.split(needle).join(MASK);
  }
  return out === text ? bytes : Buffer.from(out, "latin1");
}
