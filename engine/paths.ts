// The one place that decides where Wharf keeps its files (DESIGN.md, "Rootful
// today, rootless by design"). Nothing else in the engine may hard-code
// /var/lib/wharf or /run/wharf: take an EnginePaths and join below it.
//
//   data root  persistent state: blobs, layers, images, containers/<id>/ records and logs
//   exec root  volatile state that dies with a reboot: shim state dirs, bundles,
//              the OCI runtime's --root, attach sockets
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface EnginePaths {
  readonly dataRoot: string;
  readonly execRoot: string;
}

export interface EnginePathOptions {
  dataRoot?: string;
  execRoot?: string;
}

export const ROOTFUL_DATA_ROOT = '/var/lib/wharf';
export const ROOTFUL_EXEC_ROOT = '/run/wharf';

/**
 * Picks the data and exec roots: explicit options first, then $WHARF_DATA_ROOT /
 * $WHARF_EXEC_ROOT, then the defaults for the current user (rootful: /var/lib/wharf
 * and /run/wharf; rootless: $XDG_DATA_HOME/wharf and $XDG_RUNTIME_DIR/wharf, as Podman).
 */
export function resolveEnginePaths(
  opts: EnginePathOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): EnginePaths {
  const rootful = process.getuid?.() === 0;
  const dataDefault = rootful
    ? ROOTFUL_DATA_ROOT
    : join(env.XDG_DATA_HOME ?? join(homedir(), '.local/share'), 'wharf');
  const execDefault = rootful
    ? ROOTFUL_EXEC_ROOT
    : join(env.XDG_RUNTIME_DIR ?? `/tmp/wharf-run-${process.getuid?.() ?? 'user'}`, 'wharf');
  return {
    dataRoot: resolve(opts.dataRoot ?? env.WHARF_DATA_ROOT ?? dataDefault),
    execRoot: resolve(opts.execRoot ?? env.WHARF_EXEC_ROOT ?? execDefault),
  };
}

/** Directories below the roots that the container runtime uses. */
export const containerPaths = {
  /** <data-root>/containers/<id>: record (config.v2.json) and json-file log. */
  dataDir: (p: EnginePaths, id: string): string => join(p.dataRoot, 'containers', id),
  record: (p: EnginePaths, id: string): string => join(p.dataRoot, 'containers', id, 'config.v2.json'),
  log: (p: EnginePaths, id: string): string => join(p.dataRoot, 'containers', id, `${id}-json.log`),
  /** <exec-root>/containers/<id>: the shim's state dir (shim.pid, exit.json, attach.sock). */
  stateDir: (p: EnginePaths, id: string): string => join(p.execRoot, 'containers', id),
  bundle: (p: EnginePaths, id: string): string => join(p.execRoot, 'containers', id, 'bundle'),
  execStateDir: (p: EnginePaths, id: string, execId: string): string =>
    join(p.execRoot, 'containers', id, 'exec', execId),
  /** The OCI runtime's --root. */
  runtimeRoot: (p: EnginePaths): string => join(p.execRoot, 'runtime'),
  containersExecDir: (p: EnginePaths): string => join(p.execRoot, 'containers'),
  containersDataDir: (p: EnginePaths): string => join(p.dataRoot, 'containers'),
};
