// Learns that a container (or exec) has exited by watching its shim's state
// dir for exit.json (native/README.md). fs.watch on the directory is the
// signal; a check right after the watch is set up closes the race with an
// exit that already happened, and a slow timer (not a busy poll) covers
// filesystems without inotify and a shim that died without writing the file.
// The timer only asks the kernel whether the shim's pid is alive (checked to
// be our shim once): an idle engine with a thousand containers must not read
// thousands of files every few seconds.
import { watch, type FSWatcher } from 'node:fs';
import { liveShimPid, readExitFile, SHIM_FILES } from './shim-client.js';
import type { ExitStatus } from './types.js';

export interface ExitWatch extends Disposable {
  readonly exited: Promise<ExitStatus>;
}

const FALLBACK_INTERVAL_MS = 2000;

/** Status reported when the shim vanished without leaving exit.json. */
export const LOST_EXIT: ExitStatus = { exitCode: 255, signal: null, oomKilled: false };

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function watchExit(stateDir: string, id: string): ExitWatch {
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  let checking = false;
  let recheck = false;
  let shimPid: number | undefined;
  let resolveExit!: (s: ExitStatus) => void;
  const exited = new Promise<ExitStatus>((resolve) => (resolveExit = resolve));

  const stop = (): void => {
    done = true;
    watcher?.close();
    watcher = undefined;
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  const finish = (s: ExitStatus): void => {
    if (done) return;
    stop();
    resolveExit(s);
  };
  const check = async (probeShim: boolean): Promise<void> => {
    if (done) return;
    if (checking) {
      recheck = true;
      return;
    }
    checking = true;
    try {
      do {
        recheck = false;
        if (probeShim) {
          shimPid ??= await liveShimPid(stateDir, id);
          if (shimPid !== undefined && isAlive(shimPid)) continue;
          // The shim writes exit.json before it exits.
          const late = await readExitFile(stateDir).catch(() => undefined);
          return finish(late ?? LOST_EXIT);
        }
        const status = await readExitFile(stateDir).catch(() => undefined);
        if (status) return finish(status);
      } while (recheck && !done);
    } finally {
      checking = false;
    }
  };

  try {
    watcher = watch(stateDir, { persistent: false }, (_event, file) => {
      if (file === null || file === SHIM_FILES.exit) void check(false);
    });
    watcher.on('error', () => {
      watcher?.close();
      watcher = undefined;
    });
  } catch {
    watcher = undefined; // the timer still covers it
  }
  timer = setInterval(() => void check(true), FALLBACK_INTERVAL_MS);
  timer.unref();
  void check(false);

  return {
    exited,
    [Symbol.dispose]: stop,
  };
}

/**
 * `p`, but keeping Node's event loop alive until it settles. The watchers are
 * unref'd so an idle engine lets the process exit; whoever awaits an exit holds it open.
 */
export async function held<T>(p: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1 << 30);
  try {
    return await p;
  } finally {
    clearInterval(timer);
  }
}

/** `done`, held open, rejecting with the reason when any of `signals` aborts first. */
export function untilDone<T>(done: Promise<T>, signals: AbortSignal[]): Promise<T> {
  const any = AbortSignal.any(signals);
  if (any.aborted) return Promise.reject(any.reason as Error);
  return held(
    new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(any.reason as Error);
      any.addEventListener('abort', onAbort, { once: true });
      done.then(resolve, reject).finally(() => any.removeEventListener('abort', onAbort));
    }),
  );
}

/** Whether `done` resolves within `seconds`; rejects when it rejects first. */
export async function settlesWithin(done: Promise<unknown>, seconds: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), Math.max(0, seconds) * 1000)));
  try {
    return await Promise.race([done.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
