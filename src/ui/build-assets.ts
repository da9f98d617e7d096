import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildAssets } from "./assets.js";

/**
 * `npm run build:ui [outDir]`: writes the web app's files for a package build (default
 * `dist/ui/web`, where the compiled `dist/ui/assets.js` looks for them) and prints their sizes.
 */
const out = path.resolve(process.argv[2] ?? "dist/ui/web");
mkdirSync(out, { recursive: true });
for (const [name, asset] of await buildAssets()) {
  writeFileSync(path.join(out, name), asset.body);
  process.stdout.write(`${path.join(out, name)}  ${(asset.body.length / 1024).toFixed(1)} KiB\n`);
}
