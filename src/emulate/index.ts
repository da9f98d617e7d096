export { runInEmulator, retryInEmulator, type EmulatorRunOptions, type EmulatorRetryOptions, type EmulatorCommonOptions } from "./run.js";
export { openEmulatorStores, type EmulatorStorage, type EmulatorStorageOptions } from "./storage.js";
export { readEventLog, type StoredEventLog } from "./event-log.js";
export { EmulatorSession, type EmulatorSessionOptions } from "./session.js";
export type { ExecutionEvent } from "./machine.js";
