// The `runnable` program: bin/runnable.js runs the compiled form of this file (dist/src/cli/bin.js),
// `npm run runnable -- …` in the repo runs it from the sources.
import { main } from "./main.js";

process.exitCode = await main(process.argv);
