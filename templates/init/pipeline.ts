// A pipeline: plain functions, each wrapped in a step. Run it with `npx runnable run pipeline.ts`;
// `text` comes from parameters.yaml beside this file (or `RUNNABLE_PRM_text=…`, `--parameters file`).
import { FunctionTask, Pipeline } from "runnable-ts";

export const count = ({ text }: { text: string }): number => text.split(" ").length;
export const shout = ({ text, words }: { text: string; words: number }): string => `${text.toUpperCase()} (${words} words)`;

export default new Pipeline({
  name: "hello",
  steps: [
    new FunctionTask({ name: "count", function: count, returns: ["words"] }),
    new FunctionTask({ name: "shout", function: shout, returns: ["loud"] }),
  ],
});
