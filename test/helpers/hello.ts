// The README's hello pipeline (Quick start), as the loader and package tests write it into projects.

export const HELLO_TS = `import { FunctionTask, Pipeline } from "runnable-ts";

const count = ({ text }: { text: string }) => text.split(" ").length;
const shout = ({ text, words }: { text: string; words: number }) => \`\${text.toUpperCase()} (\${words} words)\`;

export default new Pipeline({
  steps: [
    new FunctionTask({ name: "count", function: count, returns: ["words"] }),
    new FunctionTask({ name: "shout", function: shout, returns: ["loud"] }),
  ],
});
`;

/** The same in JavaScript (type annotations removed). */
export const HELLO_JS = HELLO_TS.replace(/: \{ text: string(; words: number)? \}/g, "");

/** `loud` after a run with `text = "hello pipelines"`. */
export const LOUD = "HELLO PIPELINES (2 words)";
