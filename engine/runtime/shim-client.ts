// Starting wharf-shim and reading the files it leaves in its state dir
// (native/README.md, "wharf-shim: command line and files").
//
// spawnShim() resolves once the shim has reported on its sync pipe: with the
// container's pid, or by rejecting with the runtime's error message. The shim
// double-forks, so nothing in this process owns it afterwards; the state dir
// (shim.pid, container.pid, attach.sock, exit.json) is the only link.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { isErrno, wharfError } from '../errors.js';
import { primeCgroupMove } from './cgroup-prime.js';
import type { ExitStatus } from './types.js';

export interface ShimOptions {
  shimPath: string;
  id: string;
  runtimePath: string;
  runtimeRoot: string;
  bundle: string;
  stateDir: string;
  logPath?: string;
  terminal?: boolean;
  stdin?: boolean;
  /** Exec mode: path of the OCI process.json to run in the container. */
  execProcess?: string;
}

export const SHIM_FILES = {
  shimPid: 'shim.pid',
  containerPid: 'container.pid',
  attachSocket: 'attach.sock',
  exit: 'exit.json',
} as const;

const SYNC_FD = 3;

/** Reads up to the first newline (or EOF): the sync line. Stray holders of the pipe cannot stall it. */
function readLine(stream: Readable | null): Promise<string> {
  return new Promise((resolve) => {
    if (!stream) return resolve('');
    const chunks: Buffer[] = [];
    const done = (): void => resolve(Buffer.concat(chunks).toString('utf8'));
    stream.on('data', (c: Buffer) => {
      chunks.push(c);
      if (c.includes(10)) done();
    });
    stream.on('error', done);
    stream.on('end', done);
  });
}

/** The shim's command line (native/README.md, "wharf-shim: command line and files"). */
export function shimArgs(opts: Omit<ShimOptions, 'shimPath'>): string[] {
  const args = [
    '--id',
    opts.id,
    '--runtime',
    opts.runtimePath,
    '--runtime-root',
    opts.runtimeRoot,
    '--bundle',
    opts.bundle,
    '--state-dir',
    opts.stateDir,
    '--sync-fd',
    String(SYNC_FD),
  ];
  if (opts.logPath) args.push('--log-path', opts.logPath);
  if (opts.terminal) args.push('--terminal');
  if (opts.stdin) args.push('--stdin');
  if (opts.execProcess) args.push('--exec-process', opts.execProcess);
  return args;
}

/** Starts a shim and waits for its sync line. Resolves with the container (or exec) pid. */
export async function spawnShim(opts: ShimOptions): Promise<number> {
  const args = shimArgs(opts);
  primeCgroupMove(); // the runtime moves the container (or exec) into its cgroup in a few ms
  const child = spawn(opts.shimPath, args, {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) =>
      reject(
        isErrno(err, 'ENOENT')
          ? wharfError('BINARY_NOT_FOUND', opts.shimPath, err)
          : wharfError('SHIM_FAILED', err.message, err),
      ),
    ),
  );
  const stderrChunks: Buffer[] = [];
  child.stderr?.on('data', (c: Buffer) => {
    if (stderrChunks.length < 64) stderrChunks.push(c);
  });
  const syncStream = child.stdio[SYNC_FD] as Readable | null;
  // Extra stdio pipes do not keep Node's event loop alive; this does until the report.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    const line = await Promise.race([readLine(syncStream), spawnError]);
    const stderr = Buffer.concat(stderrChunks).toString('utf8').trim();
    if (!line.trim()) {
      throw wharfError('SHIM_FAILED', stderr || `no report on the sync pipe from ${basename(opts.shimPath)}`);
    }
    let msg: { pid?: unknown; error?: unknown };
    try {
      msg = JSON.parse(line.trim().split('\n')[0] ?? '') as typeof msg;
    } catch (err) {
      throw wharfError('SHIM_FAILED', `unreadable sync line ${JSON.stringify(line)}`, err);
    }
    if (typeof msg.error === 'string') throw wharfError('RUNTIME_FAILED', msg.error);
    if (typeof msg.pid !== 'number' || msg.pid <= 0) {
      throw wharfError('SHIM_FAILED', `bad sync line ${JSON.stringify(line)}`);
    }
    return msg.pid;
  } finally {
    clearInterval(keepAlive);
    // The shim's first process exits after forking; its grandchild may keep
    // stderr open, so stop listening instead of waiting for 'close'.
    child.stderr?.destroy();
    syncStream?.destroy();
    child.unref();
  }
}

/** Reads a pid file; undefined when missing or unreadable. */
export async function readPidFile(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and is a wharf-shim serving container `id` (guards against pid reuse). */
export async function isShimProcess(pid: number, id: string): Promise<boolean> {
  let cmdline: string;
  try {
    cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return false;
  }
  const argv = cmdline.split('\0');
  if (!argv[0] || !basename(argv[0]).startsWith('wharf-shim')) return false;
  const i = argv.indexOf('--id');
  if (i >= 0 && argv[i + 1] !== id) return false;
  // A zombie has an empty cmdline, so reaching here means it is alive.
  return true;
}

/** The live shim pid of a state dir, or undefined. */
export async function liveShimPid(stateDir: string, id: string): Promise<number | undefined> {
  const pid = await readPidFile(join(stateDir, SHIM_FILES.shimPid));
  if (pid === undefined) return undefined;
  return (await isShimProcess(pid, id)) ? pid : undefined;
}

/** Parses exit.json; undefined when it does not exist (yet). */
export async function readExitFile(stateDir: string): Promise<ExitStatus | undefined> {
  let text: string;
  try {
    text = await readFile(join(stateDir, SHIM_FILES.exit), 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  const raw = JSON.parse(text) as {
    exitCode?: number;
    signal?: number | null;
    oomKilled?: boolean;
    finishedAt?: string;
  };
  return {
    exitCode: typeof raw.exitCode === 'number' ? raw.exitCode : 255,
    signal: typeof raw.signal === 'number' ? raw.signal : null,
    oomKilled: raw.oomKilled === true,
    finishedAt: raw.finishedAt,
  };
}
