// NotebookTask: a Jupyter notebook as a pipeline step. The notebook's cell tagged "parameters"
// holds its defaults; runnable injects the step's parameters after it, executes every cell with a
// real kernel, reads the returns from the kernel's namespace and stores the executed notebook (with
// its outputs and the plot) in the run's catalog as analyse/analysis.executed.ipynb.
//   npx runnable run examples/notebook/pipeline.ts
// Needs Python with Jupyter and matplotlib, e.g. on Debian/Ubuntu:
//   apt-get install -y python3-nbclient python3-ipykernel python3-nbformat python3-matplotlib
import { writeFileSync } from "node:fs";
import { Catalog, FunctionTask, NotebookTask, Pipeline, json, metric } from "runnable-ts";

/** 60 days of greenhouse temperatures: a slow warming trend, a weekly cycle and seeded noise. */
function makeReadings({ days }: { days: number }): number {
  let seed = 7;
  const noise = () => ((seed = (seed * 48271) % 2147483647) / 2147483647 - 0.5) * 1.2;
  const lines = ["day,temperature"];
  for (let day = 1; day <= days; day++) {
    const t = 18 + 0.05 * day + 1.5 * Math.sin((2 * Math.PI * day) / 7) + noise();
    lines.push(`${day},${t.toFixed(2)}`);
  }
  writeFileSync("readings.csv", `${lines.join("\n")}\n`);
  return days;
}

interface Summary { days: number; mean: number; warm_days: number; threshold: number }

function report({ title, summary, trend_per_day }: { title: string; summary: Summary; trend_per_day: number }): string {
  const text = `${title}: ${summary.days} days, mean ${summary.mean} °C, ${summary.warm_days} days above ${summary.threshold} °C, `
    + `trend ${trend_per_day >= 0 ? "+" : ""}${trend_per_day} °C/day`;
  console.log(text);
  console.log("Plot: temperature.png; executed notebook: analyse/analysis.executed.ipynb (both in the run's catalog)");
  return text;
}

export default new Pipeline({
  name: "notebook",
  steps: [
    new FunctionTask({
      name: "make_readings", function: makeReadings, returns: ["n_readings"],
      catalog: new Catalog({ put: ["readings.csv"] }),
    }),
    new NotebookTask({
      name: "analyse",
      notebook: "analysis.ipynb",
      returns: [metric("trend_per_day"), json("summary")],
      catalog: new Catalog({ get: ["readings.csv"], put: ["temperature.png"] }),
      timeoutSeconds: 300,
    }),
    new FunctionTask({ name: "report", function: report, returns: ["headline"] }),
  ],
});
