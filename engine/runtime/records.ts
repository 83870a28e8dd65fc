// Container records (<data-root>/containers/<id>/config.v2.json): the state
// transitions the lifecycle makes on them, and reading and writing them.
// Writes are atomic, so a crash leaves the old or the new record, never a torn one.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { containerPaths, type EnginePaths } from '../paths.js';
import { writeJsonAtomic } from '../util/atomic-file.js';
import { wharfError } from '../errors.js';
import { normalizeHostConfig } from './merge-config.js';
import { mergeImageConfig } from './spec/build.js';
import type { ContainerRecord, ContainerState, CreateContainerInput, ExitStatus } from './types.js';

/** Running or paused: the container has live processes. */
export function isActive(rec: ContainerRecord): boolean {
  return rec.state.status === 'running' || rec.state.status === 'paused';
}

/**
 * A new record for `input` (status created): the id generated when not
 * given, the image config merged in. Throws on a bad id or no command.
 */
export function newRecord(paths: EnginePaths, input: CreateContainerInput): ContainerRecord {
  const id = input.id ?? randomBytes(32).toString('hex');
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/.test(id)) {
    throw wharfError('INVALID_ARGUMENT', `container id ${id}`);
  }
  const config = mergeImageConfig(input.config, input.image);
  if (!(config.Entrypoint?.length || config.Cmd?.length)) {
    throw wharfError('INVALID_CONFIG', 'no command specified');
  }
  return {
    id,
    name: input.name ?? id.slice(0, 12),
    created: new Date().toISOString(),
    config,
    hostConfig: normalizeHostConfig(input.hostConfig),
    rootfs: input.rootfs,
    logPath: containerPaths.log(paths, id),
    state: {
      status: 'created',
      pid: 0,
      exitCode: 0,
      signal: null,
      oomKilled: false,
      startedAt: null,
      finishedAt: null,
      error: '',
    },
  };
}

/** The state after a successful start. */
export function startedState(prev: ContainerState): ContainerState {
  return {
    ...prev,
    status: 'running',
    exitCode: 0,
    signal: null,
    oomKilled: false,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    error: '',
  };
}

/** The state after the container exited with `status`. */
export function exitedState(prev: ContainerState, status: ExitStatus): ContainerState {
  return {
    ...prev,
    status: 'exited',
    pid: 0,
    exitCode: status.exitCode,
    signal: status.signal,
    oomKilled: status.oomKilled,
    finishedAt: status.finishedAt ?? new Date().toISOString(),
  };
}

/** The shim is gone without a word (reboot, kill -9): Docker reports 255. */
export function lostState(prev: ContainerState): ContainerState {
  return { ...prev, status: 'exited', pid: 0, exitCode: 255, finishedAt: new Date().toISOString() };
}

/**
 * Writes the record atomically. `durable` (fsync) is for what must survive a
 * power cut: the record a create leaves, config changes. State transitions
 * (started, exited, removing) are not fsynced: after a reboot every task is
 * gone and open() reconciles the status from what it finds.
 */
export async function saveRecord(paths: EnginePaths, rec: ContainerRecord, durable = true): Promise<void> {
  await writeJsonAtomic(containerPaths.record(paths, rec.id), rec, 0o600, { durable });
}

/** Reads a record; rejects with the fs error (ENOENT: none was written) or a SyntaxError. */
export async function loadRecord(paths: EnginePaths, id: string): Promise<ContainerRecord> {
  return JSON.parse(await readFile(containerPaths.record(paths, id), 'utf8')) as ContainerRecord;
}

/** A catch handler that keeps a failed cleanup's message in the record (inspect shows it). */
export function noteError(rec: ContainerRecord): (err: unknown) => void {
  return (err) => {
    rec.state.error = err instanceof Error ? err.message : String(err);
  };
}
