// Starts an exec session with a short state dir: <exec-root>/exec/<16 hex>.
//
// Thin adapter over the runtime's ExecSession (the same code runtime.exec
// uses). runtime.exec puts the session under
// <exec-root>/containers/<64 hex>/exec/<32 hex>/, where console.sock and
// attach.sock exceed sun_path's 107 bytes, so a TTY exec fails with "File
// name too long". Until the runtime shortens that path, the API starts
// sessions here and removes their dirs itself.
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { containerPaths, type EnginePaths } from '../paths.js';
import { ExecSession } from '../runtime/exec.js';
import { resolveUser } from '../runtime/spec/user.js';
import type { OciSpec } from '../runtime/spec/oci-types.js';
import type { ContainerRuntime, ExecOptions } from '../runtime/index.js';

export function execRoot(paths: EnginePaths): string {
  return join(paths.execRoot, 'exec');
}

export async function startExec(
  runtime: ContainerRuntime,
  paths: EnginePaths,
  containerId: string,
  execId: string,
  opts: ExecOptions,
): Promise<{ session: ExecSession; stateDir: string }> {
  const spec = JSON.parse(
    await readFile(join(containerPaths.bundle(paths, containerId), 'config.json'), 'utf8'),
  ) as OciSpec;
  const user = opts.user ? await resolveUser(spec.root.path, opts.user) : undefined;
  await mkdir(execRoot(paths), { recursive: true, mode: 0o700 });
  const stateDir = join(execRoot(paths), execId.slice(0, 16));
  const session = await ExecSession.start({
    user,
    containerId,
    stateDir,
    spec,
    opts,
    shim: {
      shimPath: runtime.shimPath,
      runtimePath: runtime.runtimePath,
      runtimeRoot: containerPaths.runtimeRoot(paths),
      bundle: containerPaths.bundle(paths, containerId),
    },
  });
  return { session, stateDir };
}

/** Daemon start: exec dirs of an earlier daemon are of no use any more (exec records are in memory). */
export async function cleanExecDirs(paths: EnginePaths): Promise<void> {
  const dir = execRoot(paths);
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const exited = await readFile(join(dir, name, 'exit.json')).then(
      () => true,
      () => false,
    );
    if (exited) await rm(join(dir, name), { recursive: true, force: true });
  }
}
