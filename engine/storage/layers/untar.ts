// Driver of the confined extraction helper `wharf-untar` (native/src/untar/).
//
// untarInto(): input → decompress → sha256 + byte count (the diffID) →
// helper's stdin, in one pass with backpressure. The helper confines itself
// to the target directory (own mount namespace, pivot_root, no capabilities
// it does not need, seccomp) before it parses a byte, so a hostile tar can
// only ever write below that directory. tarDirectory() runs the same helper
// in --create mode and returns its stdout.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { isWharfError, wharfError } from '../../errors.js';
import { decompress } from './decompress.js';
import type { Compression, Digest } from './index.js';

export interface UntarLimits {
  /** Uncompressed tar bytes and the sum of member sizes (decompression bombs). Default 64 GiB. */
  maxSize: number;
  /** Members in one layer. Default 4,000,000. */
  maxEntries: number;
  /** Bytes of one member name. Default 4095. */
  maxPath: number;
  /** Components of one member name. Default 256. */
  maxDepth: number;
}

export const DEFAULT_UNTAR_LIMITS: UntarLimits = {
  maxSize: 64 * 1024 ** 3,
  maxEntries: 4_000_000,
  maxPath: 4095,
  maxDepth: 256,
};

/** native/build/Release/wharf-untar, or $WHARF_UNTAR. */
export function defaultUntarPath(): string {
  return (
    process.env.WHARF_UNTAR ??
    fileURLToPath(new URL('../../../native/build/Release/wharf-untar', import.meta.url))
  );
}

export interface UntarOptions {
  helper: string;
  limits: UntarLimits;
  compression?: Compression;
  signal?: AbortSignal;
  onProgress?: (bytes: number) => void;
}

export interface UntarResult {
  diffID: Digest;
  /** Sum of the member sizes. */
  size: number;
  entries: number;
}

function checkHelper(helper: string): void {
  if (!existsSync(helper)) throw wharfError('BINARY_NOT_FOUND', helper);
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function collectExit(child: ChildProcess): Promise<Exit> {
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    if (stderr.length < 8192) stderr += d;
  });
  return new Promise((resolve) => {
    child.on('error', (err) => {
      stderr ||= err.message;
    });
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** The helper's one-line error, without the program prefix. */
function helperMessage(stderr: string): string {
  const line = stderr.trim().split('\n').pop() ?? '';
  return line.replace(/^wharf-untar: /, '');
}

function isPipeError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED';
}

function pipeClosed(): NodeJS.ErrnoException {
  return Object.assign(new Error('the extraction helper closed its input'), { code: 'EPIPE' });
}

/** Resolves when `w` can take more, rejects when it is gone. */
function drained(w: Writable): Promise<void> {
  if (w.destroyed) return Promise.reject(pipeClosed());
  if (!w.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const settle = (err?: Error): void => {
      w.off('drain', onDrain);
      w.off('close', onClose);
      w.off('error', settle);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => settle();
    const onClose = (): void => settle(pipeClosed());
    w.on('drain', onDrain);
    w.on('close', onClose);
    w.on('error', settle);
  });
}

/**
 * Extracts `input` into the existing, empty directory `dir` (absolute).
 *
 * One explicit pump (no stream.pipeline): with the child's stdin as the last
 * stage, pipeline() lets late EPIPE / premature-close / abort errors of
 * already-failed stages escape as uncaught exceptions.
 */
export async function untarInto(input: Readable, dir: string, opts: UntarOptions): Promise<UntarResult> {
  checkHelper(opts.helper);
  const { limits, signal } = opts;
  const child = spawn(
    opts.helper,
    [
      `--max-size=${limits.maxSize}`,
      `--max-entries=${limits.maxEntries}`,
      `--max-path=${limits.maxPath}`,
      `--max-depth=${limits.maxDepth}`,
      dir,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const exited = collectExit(child);
  // Failures are read from the pump and the exit status; these only keep
  // the same errors from also being reported as uncaught.
  child.stdin.on('error', () => undefined);
  input.on('error', () => undefined);
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    if (stdout.length < 4096) stdout += d;
  });

  const hash = createHash('sha256');
  let bytes = 0;
  let streamErr: unknown;
  const onAbort = (): void => {
    input.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    signal?.throwIfAborted();
    for await (const chunk of decompress(opts.compression)(input)) {
      signal?.throwIfAborted();
      bytes += chunk.length;
      if (bytes > limits.maxSize) {
        throw wharfError(
          'LAYER_INVALID',
          `the uncompressed layer is larger than the limit of ${limits.maxSize} bytes`,
        );
      }
      hash.update(chunk);
      opts.onProgress?.(bytes);
      if (child.stdin.destroyed) throw pipeClosed();
      if (!child.stdin.write(chunk)) await drained(child.stdin);
    }
    signal?.throwIfAborted();
    child.stdin.end();
    await finished(child.stdin);
  } catch (err) {
    streamErr = signal?.aborted ? (signal.reason ?? err) : err;
    child.kill('SIGKILL');
    input.destroy();
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const exit = await exited;

  // The helper's own error names the offending member; the pipe error it
  // caused on our side (EPIPE) is only its echo.
  if (
    exit.code !== 0 &&
    exit.signal === null &&
    exit.stderr &&
    (streamErr === undefined || isPipeError(streamErr))
  ) {
    throw wharfError('LAYER_INVALID', helperMessage(exit.stderr));
  }
  if (streamErr !== undefined) {
    if (signal?.aborted || isWharfError(streamErr)) throw streamErr;
    const what = streamErr instanceof Error ? streamErr.message : String(streamErr);
    throw wharfError('LAYER_INVALID', `reading the layer stream failed: ${what}`, streamErr);
  }
  if (exit.code !== 0) {
    throw wharfError(
      'LAYER_INVALID',
      `wharf-untar failed (${exit.signal ?? `exit ${exit.code}`}): ${exit.stderr}`,
    );
  }
  let parsed: { size?: unknown; entries?: unknown };
  try {
    parsed = JSON.parse(stdout) as { size?: unknown; entries?: unknown };
  } catch (err) {
    throw wharfError('INTERNAL', `wharf-untar printed ${JSON.stringify(stdout)}`, err);
  }
  return {
    diffID: `sha256:${hash.digest('hex')}`,
    size: typeof parsed.size === 'number' ? parsed.size : 0,
    entries: typeof parsed.entries === 'number' ? parsed.entries : 0,
  };
}

export interface TarDirectoryOptions {
  /** Convert overlay whiteouts and opaque dirs back to .wh. members (layer diffs, commit). */
  whiteouts: boolean;
  helper?: string;
}

/**
 * A plain tar of `dir` (absolute). The stream fails with the helper's error
 * if it fails; it ends only once the helper has exited successfully.
 * Destroying the stream kills the helper.
 */
export function tarDirectory(dir: string, opts: TarDirectoryOptions): Readable {
  const out = new PassThrough();
  const helper = opts.helper ?? defaultUntarPath();
  if (!existsSync(helper)) {
    process.nextTick(() => out.destroy(wharfError('BINARY_NOT_FOUND', helper)));
    return out;
  }
  const child = spawn(helper, ['--create', ...(opts.whiteouts ? ['--whiteouts'] : []), dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = collectExit(child);
  child.stdout.pipe(out, { end: false });
  out.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  void exited.then((exit) => {
    if (exit.code === 0) out.end();
    else
      out.destroy(
        wharfError(
          'INTERNAL',
          `writing a tar of ${dir} failed: ${helperMessage(exit.stderr) || exit.signal}`,
        ),
      );
  });
  return out;
}
