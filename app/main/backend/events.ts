// The engine's event stream, batched for the bridge. Reconnects (with
// backoff) when the stream ends or the endpoint changes.
import type { Readable } from 'node:stream';
import type { EngineEvent } from '../../shared/types.js';
import type { Endpoints } from './endpoints.js';
import { describeError } from './docker-client.js';
import { LineSplitter } from './streams/sink.js';

interface RawEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

export class EventFeed {
  private stream: Readable | undefined;
  private batch: EngineEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private backoff = 250;
  private closed = false;
  /** The stream of the active endpoint dropped: the next connect resumes after a gap. */
  private dropped = false;
  private readonly offChange: () => void;

  constructor(
    private readonly endpoints: Endpoints,
    private readonly emit: (events: EngineEvent[]) => void,
    private readonly hooks: {
      /** Called on every event as it arrives, before batching, and on every (re)connect. */
      onArrive?: () => void;
      /** Reconnected after the stream dropped: events in the gap are lost. */
      onResync?: () => void;
    } = {},
    private readonly batchMs = 16,
  ) {
    this.offChange = endpoints.onChange(() => this.reconnect());
    void this.connect();
  }

  private reconnect(): void {
    this.stream?.destroy();
    this.stream = undefined;
    this.dropped = false; // a new endpoint: its listeners reload anyway
    if (this.retry) clearTimeout(this.retry);
    this.backoff = 250;
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const ep = this.endpoints.active;
    try {
      const s = (await this.endpoints.docker.getEvents({})) as unknown as Readable;
      if (this.closed || ep !== this.endpoints.active) {
        s.destroy();
        return;
      }
      this.stream = s;
      this.hooks.onArrive?.(); // events may have been missed while disconnected
      if (this.dropped) {
        this.dropped = false;
        this.hooks.onResync?.();
      }
      this.endpoints.setError(ep.id, undefined);
      this.backoff = 250;
      const lines = new LineSplitter();
      s.on('data', (chunk: Buffer) => lines.write(chunk, (l) => this.onLine(l)));
      s.on('error', () => {});
      s.on('close', () => {
        if (this.stream === s) this.schedule();
      });
    } catch (err) {
      this.endpoints.setError(ep.id, describeError(err).message);
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.closed) return;
    this.stream = undefined;
    this.dropped = true;
    this.retry = setTimeout(() => void this.connect(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, 5000);
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    let e: RawEvent;
    try {
      e = JSON.parse(line) as RawEvent;
    } catch {
      return;
    }
    this.hooks.onArrive?.();
    this.batch.push({
      type: e.Type ?? 'container',
      action: e.Action ?? e.status ?? '',
      id: e.Actor?.ID ?? e.id ?? '',
      time: e.timeNano ? Math.floor(e.timeNano / 1e6) : (e.time ?? 0) * 1000,
      attributes: e.Actor?.Attributes ?? {},
    });
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const out = this.batch;
      this.batch = [];
      if (out.length) this.emit(out);
    }, this.batchMs);
  }

  close(): void {
    this.closed = true;
    this.offChange();
    if (this.timer) clearTimeout(this.timer);
    if (this.retry) clearTimeout(this.retry);
    this.stream?.destroy();
  }
}
