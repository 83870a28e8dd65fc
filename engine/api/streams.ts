// Stream helpers for attach, exec and logs: Docker's multiplexed frames, the
// detach-key scanner, and a follower of the shim's json-file log.
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { badRequest } from './errors.js';
import type { LogEntry } from '../runtime/index.js';

export function muxFrame(stream: 1 | 2 | 3, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** Writes output as raw bytes (TTY) or multiplexed frames; resolves when the sink can take more. */
export class OutputSink {
  constructor(
    private readonly out: Writable,
    private readonly mux: boolean,
  ) {}

  write(stream: 1 | 2, data: Buffer): boolean {
    if (this.out.destroyed || this.out.writableEnded) return true;
    return this.out.write(this.mux ? muxFrame(stream, data) : data);
  }

  drained(): Promise<void> {
    if (!this.out.writableNeedDrain || this.out.destroyed) return Promise.resolve();
    return new Promise((r) => {
      const done = (): void => {
        this.out.off('drain', done);
        this.out.off('close', done);
        r();
      };
      this.out.on('drain', done);
      this.out.on('close', done);
    });
  }
}

/** Parses Docker's detach keys ("ctrl-p,ctrl-q", "a,ctrl-x"). */
export function parseDetachKeys(spec: string | null | undefined): Buffer {
  const s = spec || 'ctrl-p,ctrl-q';
  const out: number[] = [];
  for (const part of s.split(',')) {
    if (part.length === 1) {
      out.push(part.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/.exec(part);
    if (!m || !m[1]) throw badRequest(`Invalid detach keys (${s}) provided`);
    const c = m[1];
    if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
    else if (c === '@') out.push(0);
    else if (c === '[') out.push(27);
    else if (c === '\\') out.push(28);
    else if (c === ']') out.push(29);
    else if (c === '^') out.push(30);
    else if (c === '_') out.push(31);
    else throw badRequest(`Invalid detach keys (${s}) provided`);
  }
  return Buffer.from(out);
}

/**
 * Passes input through until the detach sequence appears. Bytes of a partial
 * match are held back and released when the sequence breaks off.
 */
export class DetachScanner {
  private matched = 0;
  constructor(private readonly keys: Buffer) {}

  /** Returns the bytes to forward and whether the detach sequence completed. */
  push(chunk: Buffer): { data: Buffer; detach: boolean } {
    if (this.keys.length === 0) return { data: chunk, detach: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { data: Buffer.from(out), detach: true };
        continue;
      }
      if (this.matched > 0) {
        out.push(...this.keys.subarray(0, this.matched));
        this.matched = 0;
        if (b === this.keys[0]) {
          this.matched = 1;
          continue;
        }
      }
      out.push(b);
    }
    return { data: Buffer.from(out), detach: false };
  }
}

/** Docker's timestamp format for logs: RFC3339 with nanoseconds. */
export function logTimestamp(time: string): string {
  return time;
}

/** Incremental reader of a json-file log: returns complete new entries on each call. */
export class LogTail {
  private offset = 0;
  private rest: Buffer = Buffer.alloc(0);

  constructor(private readonly path: string) {}

  async read(): Promise<LogEntry[]> {
    let fh;
    try {
      fh = await open(this.path, 'r');
    } catch {
      return [];
    }
    try {
      const out: LogEntry[] = [];
      const buf = Buffer.alloc(256 * 1024);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        const data = Buffer.concat([this.rest, buf.subarray(0, bytesRead)]);
        const end = data.lastIndexOf(0x0a);
        this.rest = Buffer.from(data.subarray(end + 1));
        if (end < 0) continue;
        for (const l of data.subarray(0, end).toString('utf8').split('\n')) {
          if (!l) continue;
          try {
            out.push(JSON.parse(l) as LogEntry);
          } catch {
            // a damaged line: skip it
          }
        }
      }
      return out;
    } finally {
      await fh.close();
    }
  }
}

/** Wake-ups that are never lost: a wake while nobody waits makes the next wait return at once. */
export class Waker {
  private pending = false;
  private resolve: (() => void) | undefined;

  wake = (): void => {
    if (this.resolve) {
      const r = this.resolve;
      this.resolve = undefined;
      r();
    } else this.pending = true;
  };

  /** Resolves on the next wake (or a pending one), or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((r) => {
      const t = setTimeout(() => {
        this.resolve = undefined;
        r();
      }, ms);
      this.resolve = () => {
        clearTimeout(t);
        r();
      };
    });
  }
}
