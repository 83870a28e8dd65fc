// The one place that decides where Wharf keeps its files (DESIGN.md, "Rootful
// today, rootless by design"). Nothing else in the engine may hard-code
// /var/lib/wharf or /run/wharf: take an EnginePaths and join below it.
//
//   data root  persistent state: blobs, layers, images, containers/<id>/ records and logs
//   exec root  volatile state that dies with a reboot: shim state dirs, bundles,
//              the OCI runtime's --root, attach sockets
//
// The shims' unix sockets (console.sock, attach.sock) live in the state dirs,
// and sun_path holds 107 bytes, so those dirs are kept short:
//   <exec-root>/c/<64 hex container id>/   a container's shim state dir
//   <exec-root>/exec/<16 hex>/             an exec session's shim state dir
// which leaves room for an exec root of up to MAX_EXEC_ROOT bytes
// (assertExecRootFits() says so at startup instead of failing on first run).
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

/** sun_path of a unix socket address holds this many bytes plus the NUL. */
export const SUN_PATH_MAX = 107;
/** The longest socket name a shim creates in its state dir. */
const LONGEST_SOCKET = 'console.sock';
/** The longest exec root whose containers' sockets still fit in sun_path (64-hex ids). */
export const MAX_EXEC_ROOT = SUN_PATH_MAX - '/c/'.length - 64 - `/${LONGEST_SOCKET}`.length;

/**
 * Fails early, with a message a user can act on, when the exec root is too
 * long for the shims' sockets (the OCI runtime connects to console.sock by path).
 */
export function assertExecRootFits(p: EnginePaths): void {
  const len = Buffer.byteLength(p.execRoot);
  if (len > MAX_EXEC_ROOT)
    throw new Error(
      `exec root ${p.execRoot} is too long (${len} bytes; at most ${MAX_EXEC_ROOT}): ` +
        `container sockets below it would not fit in a unix socket address; choose a shorter --exec-root`,
    );
}

/** Directories below the roots that the container runtime uses. */
export const containerPaths = {
  /** <data-root>/containers/<id>: record (config.v2.json) and json-file log. */
  dataDir: (p: EnginePaths, id: string): string => join(p.dataRoot, 'containers', id),
  record: (p: EnginePaths, id: string): string => join(p.dataRoot, 'containers', id, 'config.v2.json'),
  log: (p: EnginePaths, id: string): string => join(p.dataRoot, 'containers', id, `${id}-json.log`),
  /** <exec-root>/c/<id>: the shim's state dir (shim.pid, exit.json, attach.sock, console.sock). */
  stateDir: (p: EnginePaths, id: string): string => join(p.execRoot, 'c', id),
  bundle: (p: EnginePaths, id: string): string => join(p.execRoot, 'c', id, 'bundle'),
  /** <exec-root>/exec: exec sessions' state dirs, one per session. */
  execDir: (p: EnginePaths): string => join(p.execRoot, 'exec'),
  /** <exec-root>/exec/<key>: an exec session's shim state dir; `key` is 16 hex (short: sun_path). */
  execStateDir: (p: EnginePaths, key: string): string => join(p.execRoot, 'exec', key),
  /** The OCI runtime's --root. */
  runtimeRoot: (p: EnginePaths): string => join(p.execRoot, 'runtime'),
  containersExecDir: (p: EnginePaths): string => join(p.execRoot, 'c'),
  containersDataDir: (p: EnginePaths): string => join(p.dataRoot, 'containers'),
};

/** Named volumes (DESIGN.md: <data-root>/volumes/<name>/_data). */
export const volumePaths = {
  root: (p: EnginePaths): string => join(p.dataRoot, 'volumes'),
  dir: (p: EnginePaths, name: string): string => join(p.dataRoot, 'volumes', name),
  /** What containers mount: <data-root>/volumes/<name>/_data. */
  data: (p: EnginePaths, name: string): string => join(p.dataRoot, 'volumes', name, '_data'),
  /** The volume's metadata (Name, Driver, CreatedAt, Labels, Options), written atomically. */
  metadata: (p: EnginePaths, name: string): string => join(p.dataRoot, 'volumes', name, 'volume.json'),
};
