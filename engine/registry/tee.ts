// A Writable that copies every chunk into two Readables and takes the next
// chunk only when both have room, so the slower consumer sets the pace.
//
// An output whose consumer goes away (destroyed) is dropped and the other one
// carries on: a pull whose extraction failed still finishes verifying the
// download, so a corrupt blob is reported as a digest mismatch rather than as
// whatever the decompressor made of it. Only when both are gone does the tee
// fail. An error (or destroy) on the writable side is passed to both outputs,
// which therefore never see a clean end for a stream that failed upstream.
import { PassThrough, Writable } from 'node:stream';

export class Tee extends Writable {
  readonly a = new PassThrough({ highWaterMark: 1 << 20 });
  readonly b = new PassThrough({ highWaterMark: 1 << 20 });
  private ended = false;

  constructor() {
    super({ highWaterMark: 1 << 20 });
  }

  private live(): PassThrough[] {
    return [this.a, this.b].filter((out) => !out.destroyed);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const live = this.live();
    if (live.length === 0) {
      cb(this.a.errored ?? this.b.errored ?? new Error('both tee outputs closed early'));
      return;
    }
    const waiting = live.filter((out) => !out.write(chunk));
    if (waiting.length === 0) {
      cb();
      return;
    }
    let pending = waiting.length;
    const cleanups: (() => void)[] = [];
    for (const out of waiting) {
      // A closed output counts as drained: it is dropped from the next write on.
      const settle = (): void => {
        out.off('drain', settle);
        out.off('close', settle);
        if (--pending > 0) return;
        for (const c of cleanups) c();
        cb();
      };
      out.on('drain', settle);
      out.on('close', settle);
      cleanups.push(() => {
        out.off('drain', settle);
        out.off('close', settle);
      });
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.ended = true;
    for (const out of this.live()) out.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // After a clean end the outputs finish on their own (autoDestroy lands here too).
    if (err || !this.ended) {
      const e = err ?? new Error('stream closed before its end');
      if (!this.a.writableEnded) this.a.destroy(e);
      if (!this.b.writableEnded) this.b.destroy(e);
    }
    cb(err);
  }
}
