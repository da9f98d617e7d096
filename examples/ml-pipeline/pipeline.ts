// The ML training pipeline of the seed comparison, in TypeScript:
//   generate_data → data_preparation → train_models (random_forest ∥ xgboost) → select_best_model → generate_report
// The domain functions (data.ts, models.ts) import nothing from runnable-ts: this file only wraps them.
// Files move between steps only through the catalog; `max_depth` comes from parameters.yaml beside
// this file (the CLI picks it up when --parameters is not given). `isolate: true` gives each step a
// fresh directory, so a run leaves the folder it was started from as it was (and works as it will on AWS).
//   npx runnable run examples/ml-pipeline/pipeline.ts
import { Catalog, FunctionTask, Parallel, Pipeline } from "runnable-ts";
import { generateRawData, loadAndCleanData } from "./data.js";
import { generateReport, selectBestModel, trainRandomForest, trainXgboost } from "./models.js";

const SPLITS = ["features.csv", "target.csv", "test_features.csv", "test_target.csv"];

export default new Pipeline({
  name: "ml-pipeline",
  isolate: true,
  steps: [
    new FunctionTask({
      name: "generate_data",
      function: generateRawData,
      returns: ["raw_rows"],
      catalog: new Catalog({ put: ["customers.csv", "transactions.csv"] }),
    }),
    new FunctionTask({
      name: "data_preparation",
      function: loadAndCleanData,
      returns: ["n_samples", "n_features", "n_test"],
      catalog: new Catalog({ get: ["customers.csv", "transactions.csv"], put: SPLITS }),
    }),
    new Parallel({
      name: "train_models",
      branches: {
        random_forest: new FunctionTask({
          name: "train_rf",
          function: trainRandomForest,
          returns: ["rf_results"],
          catalog: new Catalog({ get: SPLITS, put: ["rf_model.json"] }),
        }).asPipeline(),
        xgboost: new FunctionTask({
          name: "train_xgb",
          function: trainXgboost,
          returns: ["xgb_results"],
          catalog: new Catalog({ get: SPLITS, put: ["xgb_model.json"] }),
        }).asPipeline(),
      },
    }),
    new FunctionTask({
      name: "select_best_model",
      function: selectBestModel,
      returns: ["best_model"],
      catalog: new Catalog({ get: ["rf_model.json", "xgb_model.json"], put: ["best_model.json"] }),
    }),
    new FunctionTask({
      name: "generate_report",
      function: generateReport,
      returns: ["report_path"],
      catalog: new Catalog({ put: ["ml_report.txt"] }),
    }),
  ],
});
