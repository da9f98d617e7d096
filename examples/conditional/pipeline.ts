// Conditional with a default branch: grade a score, then take the branch named by the grade.
//   npx runnable run examples/conditional/pipeline.ts
// With score 0.55 (parameters.yaml) the grade is "C": no branch has that key, so `default` runs
// (step path `route.default.archive`). Try RUNNABLE_PRM_score=0.95 to take branch "A".
import { Conditional, FunctionTask, Pipeline } from "runnable-ts";

const grade = ({ score }: { score: number }) => (score >= 0.9 ? "A" : score >= 0.7 ? "B" : "C");

export default new Pipeline({
  name: "conditional",
  steps: [
    new FunctionTask({ name: "grade", function: grade, returns: ["grade"] }),
    new Conditional({
      name: "route",
      parameter: "grade",
      branches: {
        A: new FunctionTask({ name: "publish", function: () => "published", returns: ["action"] }).asPipeline(),
        B: new FunctionTask({ name: "review", function: () => "sent to review", returns: ["action"] }).asPipeline(),
      },
      default: new FunctionTask({ name: "archive", function: ({ grade }: { grade: string }) => `archived (grade ${grade})`, returns: ["action"] }).asPipeline(),
    }),
    new FunctionTask({ name: "notify", function: ({ action }: { action: string }) => `done: ${action}`, returns: ["message"] }),
  ],
});
