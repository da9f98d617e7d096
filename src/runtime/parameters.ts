import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { UsageError } from "../sdk/errors.js";
import { PARAMETER_NAME, type JsonValue } from "../sdk/types.js";
import { reservedNameMessage } from "../graph/reserved.js";
import { MAX_PARAMETERS_ENV, formatBytes, maxParametersBytes } from "./limits.js";
import { maskParameters, readSecrets, secretProblem } from "./secrets.js";

/** Where the initial parameters of a run come from. Later sources override earlier ones. */
export interface ParameterSources {
  /** YAML or JSON file holding one mapping of parameter names to values. */
  parametersFile?: string;
  /** Parameters given in code or on the command line; override the file's. */
  parameters?: Record<string, JsonValue>;
  /** Environment read for `RUNNABLE_PRM_<name>` overrides. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** `name=value` texts from the command line (`runnable run -p`): override everything else. */
  assignments?: Record<string, string>;
}

/** Folded parameters, before masking: values, and the raw text of those whose final value came as text. */
export interface FoldedParameters {
  values: Record<string, JsonValue>;
  /** Name → the text it was given as (`-p`, `RUNNABLE_PRM_`), for a parameters schema to coerce. */
  texts: Record<string, string>;
}

const ENV_PREFIX = "RUNNABLE_PRM_";

/**
 * yaml is required when a parameters file is read, not imported: this module is reachable from every
 * deployed step Lambda (which never reads a parameters file), and a static import would bundle
 * yaml's ≈ 115 KB into each of them.
 */
function parseYaml(text: string): unknown {
  return (createRequire(import.meta.url)("yaml") as typeof import("yaml")).parse(text);
}

/**
 * Folds the initial parameters of a run: file ← options ← `RUNNABLE_PRM_<name>` environment
 * variables (JSON-parsed when the text parses, else kept as the string). Throws UsageError naming
 * the file or field at fault. Secrets of the same environment (`RUNNABLE_SECRET_<name>`) are masked:
 * a parameter named like a secret becomes `***` (the secret wins in the steps' scope), and a secret's
 * value inside any parameter is replaced by `***` — the result is what the run header records.
 */
export function resolveParameters(sources: ParameterSources = {}): Record<string, JsonValue> {
  const env = sources.env ?? process.env;
  return maskParameters(foldParameters(sources).values, readSecrets(env));
}

/**
 * Folds the initial parameters: file ← `parameters` ← `RUNNABLE_PRM_<name>` ← `-p name=value`,
 * unmasked (createRun masks what it records). Environment values are JSON-parsed when they parse,
 * `-p` values parsed as YAML scalars; both keep their text for a schema to coerce.
 */
export function foldParameters(sources: ParameterSources = {}): FoldedParameters {
  const out: Record<string, JsonValue> = {};
  const env = sources.env ?? process.env;
  const texts: Record<string, string> = {};
  if (sources.parametersFile !== undefined) Object.assign(out, readParametersFile(sources.parametersFile));
  if (sources.parameters !== undefined) {
    if (!isPlainRecord(sources.parameters)) throw new UsageError("parameters must be an object of { name: value }");
    for (const [name, value] of Object.entries(sources.parameters)) {
      checkName(name, "parameters");
      out[name] = checkJson(value, `parameters.${name}`);
    }
  }
  for (const [key, text] of Object.entries(env)) {
    if (!key.startsWith(ENV_PREFIX) || text === undefined) continue;
    const name = key.slice(ENV_PREFIX.length);
    checkName(name, `environment variable ${key}`);
    out[name] = parseLoose(text);
    texts[name] = text;
  }
  for (const [name, text] of Object.entries(sources.assignments ?? {})) {
    checkName(name, `-p ${name}=…`);
    out[name] = parseScalar(text);
    texts[name] = text;
  }
  const secrets = readSecrets(env);
  if (secrets.invalid.length) throw new UsageError(secretProblem(secrets.invalid[0]!));
  return { values: out, texts };
}

/**
 * A `-p name=value` text as a YAML scalar: `6` → 6, `true` → true, `null` → null, `[1, 2]` and
 * `{a: 1}` as flow collections; anything else (including `a: b`) stays the text it was.
 */
export function parseScalar(text: string): JsonValue {
  const t = text.trim();
  if (t === "") return text;
  let value: unknown;
  try {
    value = parseYaml(t);
  } catch {
    return text;
  }
  const flow = t.startsWith("[") || t.startsWith("{");
  if (value !== null && typeof value === "object" && !flow) return text;
  if (typeof value === "string") return text;
  return nonJson(value) === undefined ? (value as JsonValue) : text;
}

/** JSON-parses a value when it parses (`3`, `true`, `[1]`, `"x"`), else keeps the text. */
export function parseLoose(text: string): JsonValue {
  try {
    const value = JSON.parse(text) as JsonValue;
    // "1e400" parses to Infinity, which JSON cannot hold: keep such text as it was written.
    return nonJson(value) === undefined ? value : text;
  } catch {
    return text;
  }
}

/**
 * Refuses (UsageError) a parameters file over the limit, from its size alone — callers may check
 * before any other work (the CLI does, before loading the pipeline). Missing files pass: reading
 * them reports that.
 */
export function checkParametersFileSize(file: string): void {
  let limit: number;
  try {
    limit = maxParametersBytes();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return;
  }
  if (size > limit) {
    throw new UsageError(`parameters file ${file} is ${formatBytes(size)}, over the ${formatBytes(limit)} limit: parameters are kept in the run log ` +
      `and given to every step, so big data goes through the catalog instead (a file a step puts, later steps get). ` +
      `Set ${MAX_PARAMETERS_ENV}=<bytes> to raise the limit`);
  }
}

/**
 * Reads a parameters file: its size is checked before it is read (limit: maxParametersBytes), a
 * `.json` file is parsed with JSON.parse (the YAML parser takes minutes on big JSON), anything else
 * as YAML (which JSON also is).
 */
function readParametersFile(file: string): Record<string, JsonValue> {
  checkParametersFileSize(file);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read parameters file ${file}: ${(e as Error).message}`);
  }
  let doc: unknown;
  const json = /\.json$/i.test(file);
  try {
    doc = json ? (text.trim() === "" ? null : JSON.parse(text)) : parseYaml(text);
  } catch (e) {
    throw new UsageError(`parameters file ${file} is not valid ${json ? "JSON" : "YAML/JSON"}: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isPlainRecord(doc)) throw new UsageError(`parameters file ${file} must hold a mapping of name: value`);
  const out: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(doc)) {
    checkName(name, `parameters file ${file}`);
    out[name] = checkJson(value, `parameters file ${file}: ${name}`);
  }
  return out;
}

function checkName(name: string, where: string): void {
  if (!PARAMETER_NAME.test(name)) {
    throw new UsageError(`${where}: parameter name ${JSON.stringify(name)} is invalid (it must match ${PARAMETER_NAME.source})`);
  }
  const reserved = reservedNameMessage("parameter", name);
  if (reserved) throw new UsageError(`${where}: ${reserved}`);
}

/**
 * Refuses initial parameters whose names are reserved (UsageError naming the first). Every run is
 * created through `createRun`, which calls this: local, emulator, `runnable serve` and the runs API.
 */
export function checkParameterNames(parameters: Record<string, JsonValue>): void {
  for (const name of Object.keys(parameters)) {
    const reserved = reservedNameMessage("parameter", name);
    if (reserved) throw new UsageError(reserved);
  }
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Parameters are JSON: reject what would not survive the run log (Dates from YAML, NaN, …). */
function checkJson(value: unknown, where: string): JsonValue {
  const bad = nonJson(value);
  if (bad !== undefined) throw new UsageError(`${where} is not a JSON value (${bad})`);
  return value as JsonValue;
}

/** Why a value is not plain JSON, or undefined when it is. */
export function nonJson(value: unknown, depth = 0): string | undefined {
  if (depth > 200) return "nested too deeply";
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined;
  if (typeof value === "number") return Number.isFinite(value) ? undefined : `the number ${value}`;
  if (Array.isArray(value)) {
    for (const item of value) {
      const why = nonJson(item, depth + 1);
      if (why) return why;
    }
    return undefined;
  }
  if (isPlainRecord(value)) {
    for (const item of Object.values(value)) {
      const why = nonJson(item, depth + 1);
      if (why) return why;
    }
    return undefined;
  }
  if (value === undefined) return "undefined";
  if (typeof value === "object") return `a ${value.constructor?.name ?? "non-plain object"}`;
  return `a ${typeof value}`;
}
