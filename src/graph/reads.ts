import { declaringScope, findReferences, isPresenceTest, parentOf, type AstNode, type Reference } from "./ast.js";
import { functionAst } from "./source.js";

/**
 * The parameters a FunctionTask's function reads from its one argument, found by parsing the
 * function's source (`fn.toString()`: the JavaScript tsx/esbuild produced) with acorn — never by
 * pattern-matching text. What counts:
 * - a destructured argument `({ values, depth = 10 })`: each key is read; a default value, a
 *   binding the body never uses, or one it tests for presence (`if (verbose)`, `x ?? 3`,
 *   `typeof x`, `x === undefined`) makes it optional;
 * - an argument used by name `(p) => p.values`: each `p.name` / `p["name"]` is read, optional when
 *   tested the same way (`p.x ?? 3`, `"x" in p`), or destructured again (`const { a } = p`);
 * - anything else the argument takes part in (a rest element, `p[key]`, passing `p` on, spreading
 *   it) means the function may read more: the names found are still checked, the rest is unknown.
 * A function that cannot be parsed (native, bound) or whose argument is only used opaquely is
 * "unknown" (undefined): nothing is checked for it; `reads: [...]` on the FunctionTask says it instead.
 */
export interface ReadsSpec {
  /** Names read without a default: each must be provided on every path to the step. */
  required: string[];
  /** Names read with a default or tested for presence: never a problem. */
  optional: string[];
  /** true when the function may read names beyond these (only the listed ones are checked). */
  open: boolean;
  /** true when FunctionTask `reads` stated them, false when inferred from the source. */
  declared: boolean;
}

const cache = new WeakMap<object, ReadsSpec | null>();

/** The reads of a function, or undefined when they cannot be told. Cached per function object. */
export function inferReads(fn: (...args: never[]) => unknown): ReadsSpec | undefined {
  const hit = cache.get(fn);
  if (hit !== undefined) return hit ?? undefined;
  let spec: ReadsSpec | undefined;
  try {
    const ast = functionAst(fn);
    spec = ast ? analyse(ast) : undefined;
  } catch {
    spec = undefined; // an analysis surprise must never break validation: unknown
  }
  cache.set(fn, spec ?? null);
  return spec;
}

/** `reads: ["a", "b?"]` of a FunctionTask ("?" marks an optional read). */
export function declaredReads(names: readonly string[]): ReadsSpec {
  const required = new Set<string>();
  const optional = new Set<string>();
  for (const n of names) (n.endsWith("?") ? optional : required).add(n.replace(/\?$/, ""));
  return finish(required, optional, false, true);
}

function finish(required: Set<string>, optional: Set<string>, open: boolean, declared: boolean): ReadsSpec {
  // Read with a default somewhere and without one elsewhere: the function copes with its absence.
  for (const n of optional) required.delete(n);
  return { required: [...required].sort(), optional: [...optional].sort(), open, declared };
}

function analyse(fn: AstNode): ReadsSpec | undefined {
  // A non-arrow function may reach its argument through `arguments`.
  const body = fn.body as AstNode;
  if (fn.type !== "ArrowFunctionExpression" && findReferences(body, "arguments").length > 0) return undefined;
  let param = (fn.params as AstNode[])[0];
  if (!param) return finish(new Set(), new Set(), false, false);
  if (param.type === "AssignmentPattern") param = param.left as AstNode;
  const required = new Set<string>();
  const optional = new Set<string>();
  const state = { open: false };
  if (param.type === "ObjectPattern") {
    readPattern(param, body, required, optional, state);
  } else if (param.type === "Identifier") {
    for (const ref of findReferences(body, param.name as string)) readThrough(ref, body, required, optional, state);
  } else {
    return undefined;
  }
  if (state.open && required.size === 0 && optional.size === 0) return undefined;
  return finish(required, optional, state.open, false);
}

/** Keys of an object pattern destructuring the argument. */
function readPattern(pattern: AstNode, scope: AstNode, required: Set<string>, optional: Set<string>, state: { open: boolean }): void {
  for (const prop of pattern.properties as AstNode[]) {
    if (prop.type === "RestElement") {
      state.open = true;
      continue;
    }
    const name = keyName(prop.key as AstNode, prop.computed === true);
    if (name === undefined) {
      state.open = true;
      continue;
    }
    const value = prop.value as AstNode;
    if (value.type === "AssignmentPattern") optional.add(name);
    else if (value.type === "Identifier" && bindingTested(scope, value.name as string)) optional.add(name);
    else required.add(name);
  }
}

function keyName(key: AstNode, computed: boolean): string | undefined {
  if (!computed && key.type === "Identifier") return key.name as string;
  if (key.type === "Literal" && (typeof key.value === "string" || typeof key.value === "number")) return String(key.value);
  return undefined;
}

/**
 * Whether the function copes with a destructured binding being undefined: the body never uses it,
 * tests it for presence, or assigns it.
 */
function bindingTested(scope: AstNode, name: string): boolean {
  const refs = findReferences(scope, name);
  return refs.length === 0 || refs.some((ref) => isPresenceTest(ref) || isAssigned(ref));
}

function isAssigned(ref: Reference): boolean {
  const parent = parentOf(ref);
  return (parent?.type === "AssignmentExpression" && parent.left === ref.node) || (parent?.type === "UpdateExpression");
}

/** Methods every object has: calling them on the argument reads no parameter, but tells us nothing either. */
const OBJECT_METHODS = new Set(Object.getOwnPropertyNames(Object.prototype));

/** One use of the argument's name `p` in the body. */
function readThrough(ref: Reference, scope: AstNode, required: Set<string>, optional: Set<string>, state: { open: boolean }): void {
  const parent = parentOf(ref);
  const node = ref.node;
  if (parent?.type === "MemberExpression" && parent.object === node) {
    const name = keyName(parent.property as AstNode, parent.computed === true);
    const member: Reference = { node: parent, ancestors: ref.ancestors.slice(0, -1) };
    const grand = parentOf(member);
    if (name !== undefined && OBJECT_METHODS.has(name)) {
      // p.hasOwnProperty("x"): a presence test of "x"; any other Object method: unknown.
      const arg = grand?.type === "CallExpression" && grand.callee === parent ? (grand.arguments as AstNode[])[0] : undefined;
      if (name === "hasOwnProperty" && arg?.type === "Literal" && typeof arg.value === "string") optional.add(arg.value);
      else state.open = true;
      return;
    }
    if (name === undefined) {
      state.open = true;
      return;
    }
    const written = (grand?.type === "AssignmentExpression" && grand.left === parent) || grand?.type === "UpdateExpression"
      || (grand?.type === "UnaryExpression" && grand.operator === "delete");
    if (written || isPresenceTest(member)) optional.add(name);
    else required.add(name);
    return;
  }
  if (parent?.type === "VariableDeclarator" && parent.init === node && (parent.id as AstNode).type === "ObjectPattern") {
    readPattern(parent.id as AstNode, declaringScope(ref.ancestors, scope), required, optional, state);
    return;
  }
  if (parent?.type === "AssignmentExpression" && parent.right === node && (parent.left as AstNode).type === "ObjectPattern") {
    readPattern(parent.left as AstNode, scope, required, optional, state);
    return;
  }
  if (parent?.type === "BinaryExpression" && parent.operator === "in" && parent.right === node) {
    const key = parent.left as AstNode;
    if (key.type === "Literal" && typeof key.value === "string") optional.add(key.value);
    else state.open = true;
    return;
  }
  if (parent?.type === "UnaryExpression" && parent.operator === "typeof") return;
  state.open = true;
}
