// engine/runtime: containers as Docker sees them, run by an OCI runtime under
// one wharf-shim each. `ContainerRuntime.open()` is the entry point; see
// container-runtime.ts for the lifecycle and its contracts.
//
//   spec/      Docker ContainerConfig/HostConfig -> OCI config.json
//   cgroups/   cgroup v1/v2 readers (stats)
//   *.ts       the lifecycle service, shim driver, attach client, exec
export {
  ContainerRuntime,
  signalNumber,
  DEFAULT_NATIVE_DIR,
  type ContainerRuntimeOptions,
  type StopOptions,
} from './container-runtime.js';
export { AttachClient, FrameDecoder, FrameType, encodeFrame, readToEnd } from './attach.js';
export type { ExecHandle } from './exec.js';
export { readJsonLog, readLogText, type LogEntry } from './json-log.js';
export type { SpecBuilder, SpecInput } from './spec-adapter.js';
export { createSpecBuilder } from './spec-adapter.js';
export type * from './types.js';
