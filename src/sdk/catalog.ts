/** Options of a step's file catalog. */
export interface CatalogOptions {
  /** Files or globs of this run's catalog copied into the working directory before the step. */
  get?: string[];
  /** Files or globs of the working directory stored into the run's catalog after the step. */
  put?: string[];
  /** Store the file's content (default true); `false` records name, md5 and size only. */
  storeCopy?: boolean;
}

/** Files a step takes from and gives to the run's catalog. Paths are relative to the working directory. */
export class Catalog {
  readonly get: readonly string[];
  readonly put: readonly string[];
  readonly storeCopy: boolean;
  constructor(options: CatalogOptions = {}) {
    this.get = Object.freeze([...(options.get ?? [])]);
    this.put = Object.freeze([...(options.put ?? [])]);
    this.storeCopy = options.storeCopy ?? true;
  }
}
