// Map + reducer: count the words of every text in parallel, then sum the counts.
//   npx runnable run examples/map-reduce/pipeline.ts
// `texts` comes from parameters.yaml beside this file. Inside the Map, iteration i sees `text = texts[i]`;
// after it, `word_count` is bound to reducer([count of text 0, count of text 1, …]) — here their sum.
// Without a reducer it would be the list of counts, in index order.
import { FunctionTask, Map, Pipeline } from "runnable-ts";

const countWords = ({ text }: { text: string }) => text.split(/\s+/).filter(Boolean).length;

const sum = (values: unknown[]) => values.reduce((a: number, v) => a + Number(v), 0);

const summarise = ({ texts, word_count }: { texts: string[]; word_count: number }) =>
  `${texts.length} texts, ${word_count} words`;

export default new Pipeline({
  name: "map-reduce",
  steps: [
    new Map({
      name: "count_words",
      iterateOn: "texts",
      iterateAs: "text",
      branch: new FunctionTask({ name: "count", function: countWords, returns: ["word_count"] }).asPipeline(),
      reducer: sum,
    }),
    new FunctionTask({ name: "summarise", function: summarise, returns: ["summary"] }),
  ],
});
