/**
 * aws-local-stepfunctions 3 uses `Promise.withResolvers` (Node ≥ 22). On Node 20 every run fails
 * with "Promise.withResolvers is not a function" — this module adds it. Import it before the
 * interpreter (ESM evaluates imports in order, so `import "./polyfill.js"` first is enough).
 */
interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (typeof P.withResolvers !== "function") {
  P.withResolvers = function withResolvers<T>(): Resolvers<T> {
    let resolve!: Resolvers<T>["resolve"];
    let reject!: Resolvers<T>["reject"];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

export {};
