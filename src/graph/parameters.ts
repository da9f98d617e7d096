import type { StandardSchemaV1 } from "../sdk/schema.js";
import type { JsonValue } from "../sdk/types.js";

/** One parameter of a pipeline's schema, as far as its JSON Schema tells. */
export interface ParameterSpec {
  name: string;
  /** JSON Schema type in words: `integer`, `string`, `number | null`, `"a" | "b"`; absent when not told. */
  type?: string;
  /** Must be given (no default, not optional). */
  required: boolean;
  default?: JsonValue;
  description?: string;
}

/** What the graph records about a pipeline's parameters schema (JSON: the schema's functions stay in the module). */
export interface ParametersInfo {
  /** The schema's vendor ("zod", "valibot", …). */
  vendor: string;
  /** Input properties, when the library offers Standard JSON Schema; absent otherwise. */
  properties?: ParameterSpec[];
  /** Names every validated value holds (required or defaulted): providers for the flow check. */
  provides?: string[];
  /** Names the schema accepts but may leave out (optional without default). */
  optional?: string[];
}

type Json = Record<string, unknown>;

function jsonSchemaOf(schema: StandardSchemaV1, io: "input" | "output"): Json | undefined {
  const converter = schema["~standard"].jsonSchema;
  if (!converter || typeof converter[io] !== "function") return undefined;
  for (const target of ["draft-2020-12", "draft-07"]) {
    try {
      const out = converter[io]({ target });
      if (out && typeof out === "object") return out;
    } catch {
      // this library/target cannot express the schema: try the next target, else nothing is known
    }
  }
  return undefined;
}

function typeText(s: Json): string | undefined {
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if ("const" in s) return JSON.stringify(s.const);
  if (typeof s.type === "string") return s.type === "array" && s.items && typeof s.items === "object" ? `${typeText(s.items as Json) ?? "unknown"}[]` : s.type;
  if (Array.isArray(s.type)) return s.type.join(" | ");
  const union = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (Array.isArray(union)) {
    const parts = union.map(typeText);
    return parts.every((p) => p !== undefined) ? [...new Set(parts)].join(" | ") : undefined;
  }
  return undefined;
}

/** The JSON Schema types a parameter accepts (`["integer"]`, `["string", "null"]`), or undefined when not told. */
export function jsonTypesOf(s: Json): string[] | undefined {
  if (Array.isArray(s.enum)) return [...new Set(s.enum.map((v) => (v === null ? "null" : typeof v)))];
  if ("const" in s) return [s.const === null ? "null" : typeof s.const];
  if (typeof s.type === "string") return [s.type];
  if (Array.isArray(s.type)) return s.type.filter((t): t is string => typeof t === "string");
  const union = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (!Array.isArray(union)) return undefined;
  const all = union.map(jsonTypesOf);
  return all.every((t): t is string[] => t !== undefined) ? [...new Set(all.flat())] : undefined;
}

/** Properties of an object JSON Schema: name → sub-schema, and the required names. */
export function objectProperties(schema: StandardSchemaV1, io: "input" | "output"): { properties: Record<string, Json>; required: string[] } | undefined {
  const js = jsonSchemaOf(schema, io);
  if (!js || js.type !== "object" || typeof js.properties !== "object" || js.properties === null) return undefined;
  const required = Array.isArray(js.required) ? js.required.filter((r): r is string => typeof r === "string") : [];
  return { properties: js.properties as Record<string, Json>, required };
}

/** What can be told about a schema without running it. */
export function describeParameters(schema: StandardSchemaV1): ParametersInfo {
  const info: ParametersInfo = { vendor: String(schema["~standard"].vendor) };
  const input = objectProperties(schema, "input");
  if (!input) return info;
  info.properties = Object.entries(input.properties).map(([name, s]) => {
    const type = typeText(s);
    return {
      name,
      ...(type !== undefined ? { type } : {}),
      required: input.required.includes(name) && !("default" in s),
      ...("default" in s ? { default: s.default as JsonValue } : {}),
      ...(typeof s.description === "string" ? { description: s.description } : {}),
    };
  });
  const output = objectProperties(schema, "output");
  const names = Object.keys(output?.properties ?? input.properties);
  const provided = output ? output.required : info.properties.filter((p) => p.required || p.default !== undefined).map((p) => p.name);
  info.provides = names.filter((n) => provided.includes(n));
  info.optional = names.filter((n) => !provided.includes(n));
  return info;
}
