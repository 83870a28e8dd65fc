// The producer half of a bridge stream: gathers messages into batches (at
// most STREAM_BATCH_MS old or maxBatchBytes big), counts batches the
// consumer has not acked yet, and pauses the source past STREAM_WINDOW
// (resuming at half). Transports (MessagePort, WebSocket) only move batches.
import { STREAM_BATCH_MS, STREAM_WINDOW } from '../../../shared/ipc.js';

export interface StreamTransport<D> {
  send(batch: D[]): void;
  end(error?: string): void;
}

export interface Pausable {
  pause(): void;
  resume(): void;
}

export class StreamSink<D> {
  private batch: D[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private inflight = 0;
  private paused = false;
  private ended = false;
  private source: Pausable | undefined;

  constructor(
    private readonly transport: StreamTransport<D>,
    private readonly maxBatchBytes = 256 * 1024,
  ) {}

  /** The source to pause when the consumer falls behind. */
  attach(source: Pausable): void {
    this.source = source;
    if (this.paused) source.pause();
  }

  get closed(): boolean {
    return this.ended;
  }

  push(msg: D, size = 1): void {
    if (this.ended) return;
    this.batch.push(msg);
    this.bytes += size;
    if (this.bytes >= this.maxBatchBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), STREAM_BATCH_MS);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length === 0 || this.ended) return;
    const out = this.batch;
    this.batch = [];
    this.bytes = 0;
    this.inflight++;
    this.transport.send(out);
    if (this.inflight >= STREAM_WINDOW && !this.paused) {
      this.paused = true;
      this.source?.pause();
    }
  }

  ack(): void {
    if (this.inflight > 0) this.inflight--;
    if (this.paused && this.inflight <= STREAM_WINDOW / 2) {
      this.paused = false;
      this.source?.resume();
    }
  }

  end(error?: string): void {
    if (this.ended) return;
    this.flush();
    this.ended = true;
    this.transport.end(error);
  }
}

/** Splits a byte stream into lines without breaking multibyte characters. */
export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  private partial = '';

  constructor(private readonly maxLine = 1024 * 1024) {}

  write(chunk: Uint8Array, out: (line: string) => void): void {
    const text = this.partial + this.decoder.decode(chunk, { stream: true });
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      out(text.slice(start, nl).replace(/\r$/, ''));
      start = nl + 1;
    }
    this.partial = text.slice(start);
    while (this.partial.length > this.maxLine) {
      out(this.partial.slice(0, this.maxLine));
      this.partial = this.partial.slice(this.maxLine);
    }
  }

  end(out: (line: string) => void): void {
    const rest = this.partial + this.decoder.decode();
    this.partial = '';
    if (rest) out(rest);
  }
}
