// Options of the container lifecycle service (container-runtime.ts).
import { NATIVE_DIR } from '../../native/native-dir.js';
import type { EnginePathOptions, EnginePaths } from '../paths.js';
import type { ContainerStorage } from '../storage/index.js';
import type { SpecBuilder } from './spec-adapter.js';

/** native/build/Release, or $WHARF_NATIVE_DIR (native/native-dir.ts). */
export const DEFAULT_NATIVE_DIR = NATIVE_DIR;

export interface ContainerRuntimeOptions {
  /** Data and exec roots (default: resolveEnginePaths()). */
  paths?: EnginePaths | EnginePathOptions;
  /** The OCI runtime binary (default native/build/Release/wharf-runtime; runc works too). */
  runtimePath?: string;
  /** wharf-shim (default native/build/Release/wharf-shim). */
  shimPath?: string;
  storage?: ContainerStorage;
  specBuilder?: SpecBuilder;
  /** Parent of every container's cgroup: linux.cgroupsPath = <cgroupParent>/<id>. Default /wharf. */
  cgroupParent?: string;
}

export interface StopOptions {
  /** Seconds before SIGKILL (default: Config.StopTimeout, else 10). */
  timeout?: number;
  /** Default: Config.StopSignal, else SIGTERM. */
  signal?: string;
}
