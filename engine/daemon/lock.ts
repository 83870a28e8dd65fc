// One daemon per data root: <data-root>/wharf.lock holds the owner's pid.
// Created with O_EXCL; a lock whose pid is gone (a crash) is taken over.
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../errors.js';

export class DaemonLockedError extends Error {
  constructor(
    readonly dataRoot: string,
    readonly pid: number,
  ) {
    super(
      `another wharf daemon (pid ${pid}) is already running on data root ${dataRoot}; stop it first, or pass a different --data-root`,
    );
    this.name = 'DaemonLockedError';
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
}

export interface DaemonLock {
  readonly path: string;
  release(): void;
}

export function acquireLock(dataRoot: string): DaemonLock {
  const path = join(dataRoot, 'wharf.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return {
        path,
        release: () => {
          try {
            if (Number(readFileSync(path, 'utf8').trim()) === process.pid) rmSync(path, { force: true });
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
    let pid = 0;
    try {
      pid = Number(readFileSync(path, 'utf8').trim());
    } catch {
      continue;
    }
    if (alive(pid) && pid !== process.pid) throw new DaemonLockedError(dataRoot, pid);
    // Stale: move it aside atomically so two starters cannot both take it.
    try {
      renameSync(path, `${path}.stale.${process.pid}`);
      rmSync(`${path}.stale.${process.pid}`, { force: true });
    } catch {
      // someone else took it over first; retry
    }
  }
  throw new Error(`could not acquire ${path}`);
}
