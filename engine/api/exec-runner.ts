// Starts an exec session for the API through the runtime (the same session
// runtime.exec uses) in <exec-root>/exec/<first 16 hex of the exec id>
// (containerPaths.execStateDir), so the API's exec id names its state dir.
// The API keeps its own exec records and events (exec.ts) and removes the
// dir itself once the exit is known and the output was streamed.
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { containerPaths, type EnginePaths } from '../paths.js';
import type { ExecSession } from '../runtime/exec.js';
import type { ContainerRuntime, ExecOptions } from '../runtime/index.js';

export async function startExec(
  runtime: ContainerRuntime,
  paths: EnginePaths,
  containerId: string,
  execId: string,
  opts: ExecOptions,
): Promise<{ session: ExecSession; stateDir: string }> {
  const key = execId.slice(0, 16);
  const session = await runtime.startExecSession(containerId, opts, key);
  return { session, stateDir: containerPaths.execStateDir(paths, key) };
}

/** Daemon start: exec dirs of an earlier daemon are of no use any more (exec records are in memory). */
export async function cleanExecDirs(paths: EnginePaths): Promise<void> {
  const dir = containerPaths.execDir(paths);
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const exited = await readFile(join(dir, name, 'exit.json')).then(
      () => true,
      () => false,
    );
    if (exited) await rm(join(dir, name), { recursive: true, force: true });
  }
}
