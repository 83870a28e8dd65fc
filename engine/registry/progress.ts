// Progress messages of pull and push, in the JSON shape Docker streams from
// POST /images/create and POST /images/{name}/push:
//   {"status":"Downloading","progressDetail":{"current":1024,"total":4096},"progress":"[==>  ] 1kB/4kB","id":"a3ed95caeb02"}
import type { Digest } from '../images/index.js';

export interface ProgressEvent {
  status: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
}

export type ProgressListener = (ev: ProgressEvent) => void;

/** Docker's 12-hex short form of a layer digest. */
export function shortId(digest: Digest | string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v.toFixed(0) : v.toFixed(v < 10 ? 2 : 1)}${units[i]}`;
}

/** Docker's text progress bar ("[=====>     ]  1.2MB/3.4MB"). */
export function progressBar(current: number, total?: number): string {
  if (!total || total <= 0) return humanSize(current);
  const width = 50;
  const filled = Math.min(width, Math.floor((current / total) * width));
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? (filled === width ? '=' : '>') : '');
  return `[${bar.padEnd(width, ' ')}] ${humanSize(current).padStart(8, ' ')}/${humanSize(total)}`;
}

export function detail(status: string, id: string, current: number, total?: number): ProgressEvent {
  return {
    status,
    id,
    progressDetail: total !== undefined ? { current, total } : { current },
    progress: progressBar(current, total),
  };
}

/** Rate-limits byte-count events per id so a fast transfer doesn't flood the UI. */
export class Throttle {
  private last = 0;
  constructor(private readonly intervalMs = 100) {}
  due(force = false): boolean {
    const now = Date.now();
    if (!force && now - this.last < this.intervalMs) return false;
    this.last = now;
    return true;
  }
}

/**
 * Turns a callback-style producer into an async iterable of events, ending
 * when `run` settles (and throwing its error at the end). For the API, which
 * streams each event as one JSON line.
 */
export async function* progressStream<T>(
  run: (emit: ProgressListener) => Promise<T>,
): AsyncGenerator<ProgressEvent, T, undefined> {
  const queue: ProgressEvent[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  let result: T | undefined;
  let failure: { err: unknown } | undefined;
  const p = run((ev) => {
    queue.push(ev);
    wake?.();
  }).then(
    (r) => {
      result = r;
    },
    (err: unknown) => {
      failure = { err };
    },
  );
  void p.finally(() => {
    done = true;
    wake?.();
  });
  for (;;) {
    while (queue.length > 0) yield queue.shift()!;
    if (done) break;
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
    wake = undefined;
  }
  while (queue.length > 0) yield queue.shift()!;
  if (failure) throw failure.err;
  return result as T;
}
