// Data side of the ML example: plain TypeScript, no runnable-ts imports. Files are read from and
// written to the working directory; the pipeline's catalog moves them between steps.
import { readFileSync, writeFileSync } from "node:fs";

/** Small deterministic PRNG (mulberry32): same seed, same data, same models, same md5s. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Row = Record<string, string>;

export function readCsv(file: string): Row[] {
  const [header, ...lines] = readFileSync(file, "utf8").trim().split("\n");
  const cols = header!.split(",");
  return lines.map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? ""]));
  });
}

export function writeCsv(file: string, cols: string[], rows: (string | number)[][]): void {
  writeFileSync(file, [cols.join(","), ...rows.map((r) => r.join(","))].join("\n") + "\n");
}

/**
 * Writes customers.csv and transactions.csv: `customers` people, about 4% of rows with an empty
 * field, and a few customers without transactions (dropped by the merge). The target `churned`
 * depends on the features plus noise, so the models have something to learn.
 */
export function generateRawData({ customers = 400, seed = 7 }: { customers?: number; seed?: number }): { raw_rows: number } {
  const rand = prng(seed);
  const cust: (string | number)[][] = [];
  const tx: (string | number)[][] = [];
  for (let id = 1; id <= customers; id++) {
    const age = 18 + Math.floor(rand() * 60);
    const income = Math.round(20 + rand() * 130);
    const tenure = Math.floor(rand() * 120);
    const purchases = Math.floor(rand() * 40);
    const avgAmount = Math.round(5 + rand() * 200);
    const daysSince = Math.floor(rand() * 365);
    const risk = daysSince / 365 - tenure / 240 - purchases / 80 + (income < 50 ? 0.2 : 0) + (rand() - 0.5) * 0.5;
    const churned = risk > 0.1 ? 1 : 0;
    const hole = rand() < 0.04; // an incomplete row, dropped by data_preparation
    cust.push([id, age, hole ? "" : income, tenure]);
    if (rand() < 0.97) tx.push([id, purchases, avgAmount, daysSince, churned]);
  }
  writeCsv("customers.csv", ["customer_id", "age", "income", "tenure_months"], cust);
  writeCsv("transactions.csv", ["customer_id", "purchases", "avg_amount", "days_since_last", "churned"], tx);
  return { raw_rows: customers };
}

export const FEATURES = ["age", "income", "tenure_months", "purchases", "avg_amount", "days_since_last"];

/**
 * Merges the two sources on customer_id, drops incomplete rows, shuffles with a fixed seed and
 * splits 75/25 into training files (features.csv, target.csv) and a held-out test split
 * (test_features.csv, test_target.csv).
 */
export function loadAndCleanData(): { n_samples: number; n_features: number; n_test: number } {
  const byId = new Map(readCsv("transactions.csv").map((t) => [t.customer_id, t]));
  const rows: number[][] = [];
  const target: number[] = [];
  for (const c of readCsv("customers.csv")) {
    const t = byId.get(c.customer_id!);
    if (!t) continue;
    const merged: Row = { ...c, ...t };
    if (Object.values(merged).some((v) => v === "")) continue;
    rows.push(FEATURES.map((f) => Number(merged[f])));
    target.push(Number(merged.churned));
  }
  const rand = prng(42);
  const order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const cut = Math.floor(order.length * 0.75);
  const write = (prefix: string, idx: number[]) => {
    writeCsv(`${prefix}features.csv`, FEATURES, idx.map((i) => rows[i]!));
    writeCsv(`${prefix}target.csv`, ["churned"], idx.map((i) => [target[i]!]));
  };
  write("", order.slice(0, cut));
  write("test_", order.slice(cut));
  return { n_samples: cut, n_features: FEATURES.length, n_test: order.length - cut };
}

/** Reads a features/target pair written by loadAndCleanData. */
export function readSplit(prefix: "" | "test_"): { X: number[][]; y: number[] } {
  const X = readCsv(`${prefix}features.csv`).map((r) => FEATURES.map((f) => Number(r[f])));
  const y = readCsv(`${prefix}target.csv`).map((r) => Number(r.churned));
  return { X, y };
}
