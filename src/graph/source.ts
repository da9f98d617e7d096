import type { AstNode } from "./ast.js";

/**
 * acorn is required on first use, not imported: graph/ is reachable from every deployed step Lambda,
 * which never analyses sources (buildGraph's analyseSources: false), and a static import would bundle
 * acorn's ≈ 120 KB into each of them. `process.getBuiltinModule` (Node ≥ 20.16) rather than an import
 * of node:module, because graph/ is also typechecked for the browser UI, which has no Node types.
 */
type NodeProcess = { getBuiltinModule(id: "node:module"): { createRequire(url: string): (id: string) => unknown } };
let acorn: typeof import("acorn") | undefined;
function parse(text: string, options: import("acorn").Options): ReturnType<typeof import("acorn").parse> {
  acorn ??= (globalThis as unknown as { process: NodeProcess }).process.getBuiltinModule("node:module").createRequire(import.meta.url)("acorn") as typeof import("acorn");
  return acorn.parse(text, options);
}

/**
 * A function's syntax tree, parsed from `fn.toString()` (the JavaScript tsx/esbuild produced from
 * the user's TypeScript) with acorn. Undefined when there is no parseable source (native or bound
 * functions, classes, sources too large to be hand-written). Parsed once per function object.
 */

/** Function sources longer than this are not parsed (generated code): what they read or return is unknown. */
const MAX_SOURCE = 512 * 1024;

const parsed = new WeakMap<object, AstNode | null>();

export function functionAst(fn: (...args: never[]) => unknown): AstNode | undefined {
  const hit = parsed.get(fn);
  if (hit !== undefined) return hit ?? undefined;
  let ast: AstNode | undefined;
  try {
    ast = parseFunction(Function.prototype.toString.call(fn));
  } catch {
    ast = undefined;
  }
  parsed.set(fn, ast ?? null);
  return ast;
}

/** Parses a function's source text; method and private-method sources need a wrapper to parse. */
function parseFunction(source: string): AstNode | undefined {
  if (source.length > MAX_SOURCE) return undefined;
  const wrappers = [(s: string) => `(\n${s}\n)`, (s: string) => `({\n${s}\n})`, (s: string) => `(class {\n${s}\n})`];
  for (const wrap of wrappers) {
    for (const sourceType of ["module", "script"] as const) {
      let program: AstNode;
      try {
        program = parse(wrap(source), { ecmaVersion: "latest", sourceType }) as unknown as AstNode;
      } catch {
        continue;
      }
      const body = program.body as AstNode[];
      if (body.length !== 1 || body[0]!.type !== "ExpressionStatement") continue;
      const fn = functionOf(body[0]!.expression as AstNode);
      if (fn) return fn;
    }
  }
  return undefined;
}

function isFunction(n: AstNode | undefined): boolean {
  return !!n && (n.type === "FunctionExpression" || n.type === "ArrowFunctionExpression");
}

function functionOf(expr: AstNode): AstNode | undefined {
  if (isFunction(expr)) return expr;
  if (expr.type === "ObjectExpression") {
    const props = expr.properties as AstNode[];
    const value = props.length === 1 ? (props[0]!.value as AstNode) : undefined;
    return isFunction(value) ? value : undefined;
  }
  if (expr.type === "ClassExpression") {
    const members = (expr.body as AstNode).body as AstNode[];
    const value = members.length === 1 ? (members[0]!.value as AstNode | undefined) : undefined;
    return isFunction(value) ? value : undefined;
  }
  return undefined;
}
