// Model side of the ML example: plain TypeScript over ml-random-forest and ml-xgboost, no
// runnable-ts imports. Each trainer fits on the training split and scores on the held-out split.
// The two libraries are devDependencies of this repository, not dependencies of runnable-ts: to
// run the example elsewhere, `npm install ml-random-forest@2.1.0 ml-xgboost@1.1.2`.
import { copyFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { RandomForestClassifier } from "ml-random-forest";
import { readSplit } from "./data.js";

export interface ModelResult {
  model_type: string;
  accuracy: number;
  model_file: string;
}

function accuracy(predicted: number[], actual: number[]): number {
  const hits = predicted.filter((p, i) => p === actual[i]).length;
  return Math.round((hits / actual.length) * 10_000) / 10_000;
}

export function trainRandomForest({ max_depth = 10 }: { max_depth?: number }): ModelResult {
  const train = readSplit("");
  const test = readSplit("test_");
  const model = new RandomForestClassifier({ seed: 42, nEstimators: 25, maxFeatures: 0.8, treeOptions: { maxDepth: max_depth } });
  model.train(train.X, train.y);
  writeFileSync("rf_model.json", JSON.stringify(model.toJSON()));
  return { model_type: "RandomForest", accuracy: accuracy(model.predict(test.X), test.y), model_file: "rf_model.json" };
}

interface Booster {
  train(X: number[][], y: number[]): void;
  predict(X: number[][]): number[];
  toJSON(): unknown;
  free(): void;
}

// ml-xgboost is xgboost compiled to WebAssembly; its CommonJS entry resolves to a Promise of the class.
const require = createRequire(import.meta.url);

export async function trainXgboost({ max_depth = 10 }: { max_depth?: number }): Promise<ModelResult> {
  const XGBoost = (await require("ml-xgboost")) as new (options: Record<string, unknown>) => Booster;
  const train = readSplit("");
  const test = readSplit("test_");
  const booster = new XGBoost({ booster: "gbtree", objective: "binary:logistic", max_depth, eta: 0.3, silent: 1, iterations: 40 });
  try {
    booster.train(train.X, train.y);
    const predicted = booster.predict(test.X).map((p) => (p >= 0.5 ? 1 : 0));
    writeFileSync("xgb_model.json", JSON.stringify(booster.toJSON()));
    return { model_type: "XGBoost", accuracy: accuracy(predicted, test.y), model_file: "xgb_model.json" };
  } finally {
    booster.free();
  }
}

/** Picks the more accurate model (ties go to the first) and copies its file to best_model.json. */
export function selectBestModel({ rf_results, xgb_results }: { rf_results: ModelResult; xgb_results: ModelResult }): ModelResult {
  const best = xgb_results.accuracy > rf_results.accuracy ? xgb_results : rf_results;
  copyFileSync(best.model_file, "best_model.json");
  return best;
}

export function generateReport(p: {
  best_model: ModelResult; rf_results: ModelResult; xgb_results: ModelResult;
  n_samples: number; n_features: number; n_test: number; max_depth: number;
}): string {
  const report = [
    "ML Pipeline Report",
    "==================",
    "",
    "Data statistics:",
    `- training samples: ${p.n_samples}`,
    `- held-out samples: ${p.n_test}`,
    `- features:         ${p.n_features}`,
    `- max_depth:        ${p.max_depth}`,
    "",
    "Held-out accuracy:",
    `- RandomForest: ${p.rf_results.accuracy.toFixed(3)}`,
    `- XGBoost:      ${p.xgb_results.accuracy.toFixed(3)}`,
    "",
    `Best model: ${p.best_model.model_type} (accuracy ${p.best_model.accuracy.toFixed(3)})`,
    "Model saved as: best_model.json (in the run's catalog)",
    "",
  ].join("\n");
  writeFileSync("ml_report.txt", report);
  console.log(report);
  return "ml_report.txt";
}
