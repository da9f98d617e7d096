/**
 * AWS on-demand prices the cost estimate uses, per region, as data. Read 2026-11-29 from the public
 * pricing pages (aws.amazon.com/step-functions/pricing, /lambda/pricing, /fargate/pricing,
 * /s3/pricing); free tiers are left out (an estimate for an account that has used them up).
 * Update the values and the date together; every estimate prints the date. Only regions whose prices
 * were read are listed: an estimate for another region is refused rather than guessed.
 */
export const PRICES_DATE = "2026-11-29";

export interface RegionPrices {
  /** Step Functions Standard workflows, per state transition. */
  stateTransition: number;
  /** Lambda, per request. */
  lambdaRequest: number;
  /** Lambda compute per GB-second, by architecture. */
  lambdaGbSecond: { arm64: number; x86_64: number };
  /** Fargate (Linux/x86, what Batch on Fargate runs) per vCPU-hour and per GB-hour; billed per second, one-minute minimum. */
  fargateVcpuHour: number;
  fargateGbHour: number;
  /** S3 Standard, per request: PUT/COPY/POST/LIST, and GET. */
  s3Put: number;
  s3Get: number;
}

export const PRICES: Readonly<Record<string, RegionPrices>> = {
  "us-east-1": {
    stateTransition: 0.025 / 1000,
    lambdaRequest: 0.2 / 1_000_000,
    lambdaGbSecond: { arm64: 0.0000133334, x86_64: 0.0000166667 },
    fargateVcpuHour: 0.04048,
    fargateGbHour: 0.004445,
    s3Put: 0.005 / 1000,
    s3Get: 0.0004 / 1000,
  },
};

export const DEFAULT_REGION = "us-east-1";
