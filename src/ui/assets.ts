import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SVG_STYLE } from "../view/svg.js";

/**
 * The web app's files: index.html, app.js (the pages, dagre and uPlot bundled by esbuild) and
 * app.css. A package build writes them next to the compiled server (`<dist>/ui/web/`, see
 * build-assets.ts); run from this repository's TypeScript sources, they are bundled in memory
 * at start instead, so the UI always matches the sources being run.
 */

export interface Asset {
  type: string;
  body: Buffer;
}

export type Assets = ReadonlyMap<string, Asset>;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE = path.join(HERE, "web");
const TYPES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

/** Bundles the app from src/ui/web (esbuild, minified). */
export async function buildAssets(): Promise<Assets> {
  const { build } = await import("esbuild");
  const common = { bundle: true, minify: true, write: false, logLevel: "silent", legalComments: "none" } as const;
  const [js, css] = await Promise.all([
    build({ ...common, entryPoints: [path.join(SOURCE, "main.ts")], format: "iife", target: "es2022", platform: "browser" }),
    build({ ...common, entryPoints: [path.join(SOURCE, "style.css")], loader: { ".css": "css" } }),
  ]);
  const html = await readFile(path.join(SOURCE, "index.html"));
  return new Map([
    ["index.html", { type: TYPES["index.html"]!, body: html }],
    ["app.js", { type: TYPES["app.js"]!, body: Buffer.from(js.outputFiles[0]!.contents) }],
    // The drawings' style lives with the SVG renderer (standalone files embed it); the app serves it here.
    ["app.css", { type: TYPES["app.css"]!, body: Buffer.concat([Buffer.from(css.outputFiles[0]!.contents), Buffer.from(SVG_STYLE + "\n")]) }],
  ]);
}

/** Prebuilt assets of a package build, else (running from sources) a fresh bundle. */
export async function loadAssets(): Promise<Assets> {
  if (import.meta.url.endsWith(".ts")) return buildAssets();
  const out = new Map<string, Asset>();
  for (const [name, type] of Object.entries(TYPES)) out.set(name, { type, body: await readFile(path.join(HERE, "web", name)) });
  return out;
}
