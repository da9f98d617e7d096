import type { Problem } from "../sdk/errors.js";
import { suggest } from "./suggest.js";
import { assertNever, type NodeGraph, type PipelineGraph, type RootGraph } from "./types.js";
import { returnSpecsOf, returnsOf } from "./validate.js";
import { walk } from "./paths.js";

/**
 * Static parameter-flow check: every name a step reads must be provided on every path from the
 * start to that step. Providers mirror the runtime exactly (src/runtime/scope.ts, composite.ts):
 * the run's initial parameters, secrets (FunctionTask arguments only), each earlier step's returns
 * (also ShellTask and Stub returns), the Map's `iterateAs` inside its branch, every name returned in
 * a Map branch after the Map (bound even to an empty list), Parallel branches merged, the chosen
 * Conditional branch, and — inside a composite — an onFailure pipeline's returns in place of the rest
 * of the pipeline that failed. An onFailure pipeline sees the scope before the step that failed.
 */

/** What provides names before the first step. */
export interface FlowProviders {
  /** Names of the run's initial parameters. */
  parameters: Iterable<string>;
  /**
   * The names each notebook step's `parameters` cell assigns (definition path → names), where the
   * notebook files were read: optional reads of that step (the cell holds their defaults).
   */
  notebookParameters?: ReadonlyMap<string, readonly string[]>;
  /** Names a parameters schema accepts but may leave out: provided on some runs only. */
  optionalParameters?: Iterable<string>;
  /**
   * Names of secrets (`RUNNABLE_SECRET_<name>`): they join FunctionTask arguments, not
   * Map/Conditional references. "unknown" where the steps' environment cannot be seen (compile, the
   * runs API on AWS): a function read nothing else provides is then taken for a secret — unless it is
   * provided on some paths only, is close to a name in scope (a typo) or is returned by another step.
   */
  secrets?: Iterable<string> | "unknown";
}

/** One read of one step, for `runnable check`'s table. */
export interface FlowRow {
  /** Definition path of the reading step. */
  step: string;
  name: string;
  /** How the step reads it: a function's argument, a Map's iterateOn, a Conditional's parameter, a notebook's parameters cell. */
  via: "function" | "iterateOn" | "parameter" | "notebook";
  /** true when the function has a default or tests for the name (its absence is no problem). */
  optional: boolean;
  /** Who provides it on every path (e.g. `parameter`, `step "load"`), or null. */
  providedBy: string | null;
  /** The problem's message when it is not provided on some path. */
  problem?: string;
}

export interface FlowReport {
  rows: FlowRow[];
  /** FunctionTasks whose reads could not be told (not checked), by definition path. */
  unknown: string[];
  /** FunctionTasks that may read more than their rows show (a rest element, the argument passed on). */
  open: string[];
  problems: Problem[];
}

interface State {
  /** Names provided on every path to here → who provides them. */
  definite: Map<string, string>;
  /** Names provided on some paths only → one path on which they are missing. */
  partial: Map<string, string>;
}

interface End {
  state: State;
  /** The path this end stands for, in words ("\"pick\" takes branch \"low\""). */
  why: string;
}

const PARAMETER = "parameter";
const SECRET = "secret";

/** Problem texts: a function's read, or a Map's iterateOn / Conditional's parameter (same words as before wave 2). */
const wording: Record<FlowRow["via"], { absent(name: string, hint: string): string; partial(name: string, why: string): string }> = {
  function: {
    absent: (n, hint) => `reads "${n}", which nothing provides before it (${hint})`,
    partial: (n, why) => `reads "${n}", which is not provided when ${why}`,
  },
  iterateOn: {
    absent: (n, hint) => `iterateOn "${n}" is not a parameter in scope: nothing provides it before this step (${hint})`,
    partial: (n, why) => `iterateOn "${n}" is not a parameter in scope: it is not provided when ${why}`,
  },
  notebook: {
    absent: (n, hint) => `its parameters cell takes "${n}", which nothing provides before it (${hint})`,
    partial: (n, why) => `its parameters cell takes "${n}", which is not provided when ${why}`,
  },
  parameter: {
    absent: (n, hint) => `parameter "${n}" is not a parameter in scope: nothing provides it before this step (${hint})`,
    partial: (n, why) => `parameter "${n}" is not a parameter in scope: it is not provided when ${why}`,
  },
};

/**
 * What a graph's parameters schema tells before any run (compile, check, CDK synth): its names, when
 * the schema offers Standard JSON Schema. Undefined without a schema (or without that), since the
 * names of a run's parameters are then only known when it starts.
 */
export function schemaProviders(graph: RootGraph, secrets: Iterable<string> | "unknown" = "unknown"): FlowProviders | undefined {
  const info = graph.parameters;
  if (!info?.provides) return undefined;
  return { parameters: info.provides, optionalParameters: info.optional ?? [], secrets };
}

/** The parameter-flow problems of a graph, given what the run starts with. */
export function checkParameterFlow(root: PipelineGraph, providers: FlowProviders): Problem[] {
  return parameterFlow(root, providers).problems;
}

/** The full report: every read with its provider, unknown steps, problems. */
export function parameterFlow(root: PipelineGraph, providers: FlowProviders): FlowReport {
  const unknownSecrets = providers.secrets === "unknown";
  const secrets = new Set(providers.secrets === "unknown" ? [] : providers.secrets ?? []);
  const report: FlowReport = { rows: [], unknown: [], open: [], problems: [] };
  const returnedBy = new Map<string, string[]>();
  walk(root, (n) => {
    if (n.kind === "function" || n.kind === "shell" || n.kind === "notebook" || n.kind === "stub") {
      for (const r of n.returns) returnedBy.set(r.name, [...(returnedBy.get(r.name) ?? []), n.path]);
    }
  });

  function read(node: NodeGraph, state: State, name: string, via: FlowRow["via"], optional: boolean): void {
    const row: FlowRow = { step: node.path, name, via, optional, providedBy: state.definite.get(name) ?? null };
    if (row.providedBy === null && via === "function" && secrets.has(name)) row.providedBy = SECRET;
    // A secret the step declares (`secrets`) is provided wherever it runs (env/.env locally, AWS deployed).
    if (row.providedBy === null && via === "function" && node.kind === "function" && node.secrets?.some((s) => s.name === name)) row.providedBy = SECRET;
    if (row.providedBy === null && via === "function" && unknownSecrets && mayBeSecret(node, state, name)) row.providedBy = "a secret (assumed)";
    if (row.providedBy === null && !optional) {
      const missing = state.partial.get(name);
      row.problem = missing !== undefined ? wording[via].partial(name, missing) : wording[via].absent(name, hint(node, state, name, via));
      report.problems.push({ path: node.path, code: via === "function" ? "unprovided-read" : "unknown-parameter", message: row.problem });
    }
    report.rows.push(row);
  }

  /** Where secrets cannot be seen: a read nothing points at as a mistake may be one. */
  function mayBeSecret(node: NodeGraph, state: State, name: string): boolean {
    if (state.partial.has(name)) return false;
    if (suggest(name, [...state.definite.keys(), ...state.partial.keys()]) !== undefined) return false;
    return (returnedBy.get(name) ?? []).filter((p) => p !== node.path).length === 0;
  }

  function hint(node: NodeGraph, state: State, name: string, via: FlowRow["via"]): string {
    const candidates = [...state.definite.keys(), ...state.partial.keys(), ...(via === "function" ? secrets : [])];
    const close = suggest(name, candidates);
    if (close !== undefined) return `did you mean "${close}"?`;
    const later = (returnedBy.get(name) ?? []).filter((p) => p !== node.path);
    if (later.length) return `only ${later.map((p) => `"${p}"`).join(", ")} returns it, which does not run before this step`;
    return "no parameter of that name is given, and no earlier step returns it";
  }

  function check(node: NodeGraph, state: State): void {
    switch (node.kind) {
      case "function":
        if (!node.reads) {
          report.unknown.push(node.path);
          return;
        }
        if (node.reads.open) report.open.push(node.path);
        for (const name of node.reads.required) read(node, state, name, "function", false);
        for (const name of node.reads.optional) read(node, state, name, "function", true);
        return;
      case "map": {
        read(node, state, node.iterateOn, "iterateOn", false);
        const hidden = state.definite.get(node.iterateAs) ?? (state.partial.has(node.iterateAs) ? "an earlier step" : undefined);
        if (hidden !== undefined) {
          report.problems.push({
            path: node.path, code: "iterate-as-shadows",
            message: `iterateAs "${node.iterateAs}" hides the parameter "${node.iterateAs}" already in scope (provided by ${hidden}) inside the Map branch: pick another name`,
          });
        }
        return;
      }
      case "conditional":
        read(node, state, node.parameter, "parameter", false);
        return;
      // A notebook's parameters all have defaults in its parameters cell: it requires none.
      case "notebook":
        for (const name of providers.notebookParameters?.get(node.path) ?? []) read(node, state, name, "notebook", true);
        return;
      case "shell": case "stub": case "parallel": case "success": case "fail":
        return;
      default:
        assertNever(node);
    }
  }

  /** The state at the successful end of a pipeline (null when no path through it succeeds). */
  function visit(p: PipelineGraph, start: State): State | null {
    let cur: State | null = start;
    const ends: End[] = [];
    for (const node of p.steps) {
      check(node, cur);
      if (node.onFailure) {
        const recovered = visit(node.onFailure, cur);
        if (recovered) ends.push({ state: recovered, why: `"${node.path}" fails and its onFailure pipeline runs instead` });
      }
      cur = after(node, cur);
      if (!cur || node.kind === "success") break;
    }
    if (cur) ends.unshift({ state: cur, why: p.path ? `every step of "${p.path}" succeeds` : "every step succeeds" });
    return merge(ends, p.path ? `"${p.path}"` : "the pipeline");
  }

  function after(node: NodeGraph, cur: State): State | null {
    switch (node.kind) {
      case "function": case "shell": case "notebook": case "stub":
        return provide(cur, returnsOf(node), `step "${node.path}"`);
      case "parallel": {
        // Every branch runs (and is checked), also when another one can only fail.
        const ends = Object.values(node.branches).map((b) => visit(b, cur));
        if (ends.some((e) => e === null)) return null;
        const out = copy(cur);
        for (const end of ends as State[]) {
          for (const [n, by] of end.definite) if (!out.definite.has(n)) out.definite.set(n, by);
          for (const [n, why] of end.partial) if (!out.partial.has(n)) out.partial.set(n, why);
        }
        for (const n of out.definite.keys()) out.partial.delete(n);
        return out;
      }
      case "map": {
        visit(node.branch, provide(cur, [node.iterateAs], `Map "${node.path}" (iterateAs)`));
        // Every name returned in the branch is bound after the Map, also for an empty list.
        return provide(cur, [...new Set(returnSpecsOf(node).map((s) => s.name))], `Map "${node.path}"`);
      }
      case "conditional": {
        const ends: End[] = [];
        for (const [key, b] of Object.entries(node.branches)) {
          const end = visit(b, cur);
          if (end) ends.push({ state: end, why: `"${node.path}" takes branch "${key}"` });
        }
        if (node.default) {
          const end = visit(node.default, cur);
          if (end) ends.push({ state: end, why: `"${node.path}" takes its default branch` });
        }
        return merge(ends, `Conditional "${node.path}"`);
      }
      case "success":
        return cur;
      case "fail":
        return null;
      default:
        return assertNever(node);
    }
  }

  const start: State = { definite: new Map(), partial: new Map() };
  for (const n of providers.parameters) start.definite.set(n, PARAMETER);
  for (const n of providers.optionalParameters ?? []) if (!start.definite.has(n)) start.partial.set(n, `the optional parameter "${n}" is left out`);
  visit(root, start);
  return report;
}

function copy(s: State): State {
  return { definite: new Map(s.definite), partial: new Map(s.partial) };
}

function provide(s: State, names: readonly string[], by: string): State {
  if (names.length === 0) return s;
  const out = copy(s);
  for (const n of names) {
    out.definite.set(n, by);
    out.partial.delete(n);
  }
  return out;
}

/** Joins paths: a name is definite when every end provides it, else partial with a path lacking it. */
function merge(ends: End[], site: string): State | null {
  if (ends.length === 0) return null;
  if (ends.length === 1) return ends[0]!.state;
  const out: State = { definite: new Map(), partial: new Map() };
  const names = new Set(ends.flatMap((e) => [...e.state.definite.keys(), ...e.state.partial.keys()]));
  for (const n of names) {
    const lacking = ends.find((e) => !e.state.definite.has(n));
    if (!lacking) {
      const by = new Set(ends.map((e) => e.state.definite.get(n)!));
      out.definite.set(n, by.size === 1 ? [...by][0]! : `${site} (on every path)`);
    } else {
      out.partial.set(n, lacking.state.partial.get(n) ?? lacking.why);
    }
  }
  return out;
}
