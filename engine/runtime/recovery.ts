// What open() finds of an earlier engine: the records on disk, leftovers of
// crashes mid-create, and for each container what survives of its task
// (container-runtime.ts, "open() re-adopts what an earlier engine left").
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { isErrno, wharfError, type WharfError } from '../errors.js';
import { containerPaths, type EnginePaths } from '../paths.js';
import { isActive, loadRecord } from './records.js';
import type { TaskDriver, TaskProbe } from './task-driver.js';
import type { ContainerRecord, ContainerStatus, ExitStatus } from './types.js';

/**
 * Creates the store's dirs and loads every readable record. A dir without a
 * record (a crash before it was written) is removed; a damaged record is
 * left on disk for a human and reported in `errors`.
 */
export async function loadRecords(
  paths: EnginePaths,
  driver: TaskDriver,
): Promise<{ records: ContainerRecord[]; errors: WharfError[] }> {
  const dataDir = containerPaths.containersDataDir(paths);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await mkdir(containerPaths.containersExecDir(paths), { recursive: true, mode: 0o700 });
  await mkdir(containerPaths.runtimeRoot(paths), { recursive: true, mode: 0o700 });
  const records: ContainerRecord[] = [];
  const errors: WharfError[] = [];
  for (const id of await readdir(dataDir)) {
    try {
      records.push(await loadRecord(paths, id));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) await driver.removeLeftover(id);
      // Atomic writes never tear a record; leave a damaged one for a human.
      else errors.push(wharfError('STORE_CORRUPT', `container record ${id}`, err));
    }
  }
  return { records, errors };
}

/** Removes exec-root dirs with neither a record nor a data dir: a crash between rollback steps. */
export async function removeOrphans(
  paths: EnginePaths,
  driver: TaskDriver,
  known: (id: string) => boolean,
): Promise<void> {
  for (const id of await readdir(containerPaths.containersExecDir(paths))) {
    if (!known(id) && !existsSync(containerPaths.dataDir(paths, id))) await driver.removeLeftover(id);
  }
}

/** What to do with a loaded record, given what survives of its task. */
export type Reconciliation =
  /** A remove was interrupted: finish it. */
  | { action: 'destroy' }
  /** The shim lives: watch it again. */
  | { action: 'adopt'; status: ContainerStatus; pid: number }
  /** It exited while no engine watched: record the exit as if seen live. */
  | { action: 'exit'; status: ExitStatus }
  /**
   * No live shim: remove what is left of the task (a container without its
   * monitor cannot be attached or waited for); `lost` when it was running
   * and left no exit status.
   */
  | { action: 'cleanup'; lost: boolean };

export function reconciliation(rec: ContainerRecord, probe: TaskProbe): Reconciliation {
  if (rec.state.status === 'removing') return { action: 'destroy' };
  const { exit, live } = probe;
  if (live) {
    const status = live.status === 'paused' ? 'paused' : live.status === 'created' ? 'created' : 'running';
    return { action: 'adopt', status, pid: live.pid };
  }
  if (exit && isActive(rec)) return { action: 'exit', status: exit };
  return { action: 'cleanup', lost: !exit && isActive(rec) };
}
