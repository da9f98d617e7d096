// ShellTask: parameters arrive as environment variables (never interpolated into the command text);
// returns are `name=value` lines written to the file $RUNNABLE_OUTPUT; files go through the catalog.
//   npx runnable run examples/shell-task/pipeline.ts
import { Catalog, FunctionTask, Pipeline, ShellTask } from "runnable-ts";

export default new Pipeline({
  name: "shell-task",
  steps: [
    new ShellTask({
      name: "write_greetings",
      command: 'for i in $(seq 1 "$count"); do echo "$greeting, $name #$i"; done > greetings.txt\n' +
        'echo "lines=$(wc -l < greetings.txt)" >> "$RUNNABLE_OUTPUT"',
      returns: ["lines"],
      catalog: new Catalog({ put: ["greetings.txt"] }),
    }),
    new ShellTask({
      name: "checksum",
      command: 'echo "digest=\\"$(md5sum greetings.txt | cut -d" " -f1)\\"" >> "$RUNNABLE_OUTPUT"',
      returns: ["digest"],
      catalog: new Catalog({ get: ["greetings.txt"] }),
    }),
    new FunctionTask({
      name: "check",
      function: ({ lines, count }: { lines: number; count: number }) => lines === count,
      returns: ["all_written"],
    }),
  ],
});
