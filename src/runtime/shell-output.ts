import type { JsonValue } from "../sdk/types.js";
import { parseLoose } from "./parameters.js";

/**
 * The format of `$RUNNABLE_OUTPUT`, the file a shell step writes its returns to. Two kinds of entries:
 *
 *   name=value          one line; the value is the rest of the line
 *   name<<DELIMITER     the value is every following line up to a line that is exactly DELIMITER,
 *   line 1              joined with "\n" — so a value may hold newlines (and "=")
 *   line 2
 *   DELIMITER
 *
 * Either value is JSON-parsed when it parses (`n=3` is a number, `s="3"` a string), else kept as
 * text. Blank lines between entries are ignored. A name may be written once: a second entry for it
 * is an error, so text with a newline written with `name=…` cannot quietly set another return —
 * write such values with `name<<DELIMITER`, choosing a delimiter that cannot occur in the value
 * (e.g. `EOF_$RANDOM$RANDOM`).
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BLOCK = /^([A-Za-z_][A-Za-z0-9_]*)<<(.+)$/;

export function parseOutput(text: string): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  const firstLine = new Map<string, number>();
  const lines = text.split("\n");
  // A final newline ends the last line; it does not start another.
  if (lines[lines.length - 1] === "") lines.pop();
  const set = (name: string, value: string, line: number): void => {
    const earlier = firstLine.get(name);
    if (earlier !== undefined) {
      throw new Error(`line ${line} of $RUNNABLE_OUTPUT sets "${name}" again (first set on line ${earlier}): each name is written once; ` +
        `a value that may contain a newline must be written as ${name}<<DELIMITER … DELIMITER`);
    }
    firstLine.set(name, line);
    out[name] = parseLoose(value);
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const block = BLOCK.exec(line);
    if (block) {
      const [, name, delimiter] = block as unknown as [string, string, string];
      const end = lines.indexOf(delimiter, i + 1);
      if (end < 0) throw new Error(`line ${i + 1} of $RUNNABLE_OUTPUT starts "${name}<<${delimiter}" but no line "${delimiter}" ends it`);
      set(name, lines.slice(i + 1, end).join("\n"), i + 1);
      i = end;
      continue;
    }
    const eq = line.indexOf("=");
    const name = eq > 0 ? line.slice(0, eq).trim() : "";
    if (!NAME.test(name)) {
      throw new Error(`line ${i + 1} of $RUNNABLE_OUTPUT is not name=value or name<<DELIMITER: ${JSON.stringify(line.slice(0, 80))}`);
    }
    set(name, line.slice(eq + 1), i + 1);
  }
  return out;
}
