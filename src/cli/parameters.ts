import { parameterFlow, type RootGraph } from "../graph/index.js";
import { UsageError } from "../sdk/errors.js";
import { PARAMETER_NAME, type JsonValue } from "../sdk/types.js";

/** Collects repeated `-p name=value` options (commander's reducer). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `-p name=value` options → name → text (the value after the first "="; later ones win). */
export function parseAssignments(list: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    const name = eq < 0 ? item : item.slice(0, eq);
    if (eq < 0 || !PARAMETER_NAME.test(name)) {
      throw new UsageError(`-p ${JSON.stringify(item)}: expected name=value with a parameter name matching ${PARAMETER_NAME.source}`);
    }
    out[name] = item.slice(eq + 1);
  }
  return out;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}

function shown(v: JsonValue | undefined): string {
  return v === undefined ? "" : JSON.stringify(v);
}

/**
 * The "Parameters" part of `runnable run <file> --help`: the schema's fields (type, default,
 * description) when it offers a JSON Schema; else, without a schema, the names the steps read that
 * no step provides — what a run must be given — with the values of the default parameters file.
 */
export function parametersHelp(graph: RootGraph, file: string, defaults: Record<string, JsonValue>, notebooks?: ReadonlyMap<string, readonly string[]>): string {
  const head = `\nParameters of ${file} (pipeline "${graph.name}")`;
  const info = graph.parameters;
  if (info?.properties) {
    if (info.properties.length === 0) return `${head}: none (its ${info.vendor} schema takes no fields)\n`;
    const rows = [["NAME", "TYPE", "DEFAULT", "DESCRIPTION"]];
    for (const p of info.properties) {
      const given = defaults[p.name];
      const dflt = given !== undefined ? `${shown(given)} (parameters file)` : p.default !== undefined ? shown(p.default) : p.required ? "(required)" : "(optional)";
      rows.push([p.name, p.type ?? "", dflt, p.description ?? ""]);
    }
    return `${head}, from its ${info.vendor} schema:\n${indent(table(rows))}Set them with -p name=value (repeatable), --parameters file.yaml or RUNNABLE_PRM_<name>.\n`;
  }
  if (info) return `${head}: validated by a ${info.vendor} schema that offers no JSON Schema, so its fields cannot be listed.\n`;
  return `${head}, inferred from what its steps read (no parameters schema):\n${inferredInputs(graph, defaults, notebooks)}`;
}

function indent(text: string): string {
  return text.split("\n").map((l) => (l ? `  ${l}` : l)).join("\n");
}

/** Names read before any step provides them: the run's inputs. */
function inferredInputs(graph: RootGraph, defaults: Record<string, JsonValue>, notebooks?: ReadonlyMap<string, readonly string[]>): string {
  const report = parameterFlow(graph, { parameters: [], secrets: "unknown", ...(notebooks ? { notebookParameters: notebooks } : {}) });
  const readers = new Map<string, Set<string>>();
  const required = new Set<string>();
  /** Names only notebooks' parameters cells take: those cells hold their defaults. */
  const cellOnly = new Set<string>();
  const elsewhere = new Set<string>();
  for (const r of report.rows) {
    if (r.providedBy !== null && r.providedBy !== "a secret (assumed)") continue;
    readers.set(r.name, (readers.get(r.name) ?? new Set<string>()).add(r.step));
    if (!r.optional) required.add(r.name);
    (r.via === "notebook" ? cellOnly : elsewhere).add(r.name);
  }
  const names = [...new Set([...readers.keys(), ...Object.keys(defaults)])].sort();
  if (names.length === 0) return "  none: no step reads a parameter it is not given by an earlier step\n";
  const rows = [["NAME", "DEFAULT", "READ BY"]];
  for (const n of names) {
    const dflt = defaults[n] !== undefined ? `${shown(defaults[n])} (parameters file)` : required.has(n) ? "(required)" : cellOnly.has(n) && !elsewhere.has(n) ? "(the notebook's)" : "(optional)";
    rows.push([n, dflt, [...(readers.get(n) ?? [])].join(", ")]);
  }
  const unknown = report.unknown.length ? `Steps whose reads cannot be told (not listed): ${report.unknown.join(", ")}.\n` : "";
  return indent(table(rows)) + unknown + "Set them with -p name=value (repeatable), --parameters file.yaml or RUNNABLE_PRM_<name>.\n";
}
