// The backend both shells use (Electron main and the web server): invoke
// handlers, the batched engine event feed, and stream sessions. Transports
// only carry what this hands them.
import type Dockerode from 'dockerode';
import type { ContainerSnapshot, ContainerSummary } from '../../shared/types.js';
import {
  isInvokeChannel,
  isStreamKind,
  type EventChannel,
  type Events,
  type InvokeChannel,
  type StreamDown,
  type StreamKind,
  type StreamUp,
} from '../../shared/ipc.js';
import { Endpoints } from './endpoints.js';
import { EventFeed } from './events.js';
import { createHandlers, type Handlers } from './handlers.js';
import type { EndpointConfig } from './docker-client.js';
import { StreamSink, type StreamTransport } from './streams/sink.js';
import type { StreamSession } from './streams/logs.js';
import { openLogs } from './streams/logs.js';
import { openTerminal } from './streams/terminal.js';
import { openStats } from './streams/stats.js';
import { openPull } from './streams/pull.js';

export { describeError } from './docker-client.js';
export type { EndpointConfig } from './docker-client.js';
export type { StreamTransport } from './streams/sink.js';

export interface OpenStream {
  receive(msg: unknown): void;
  ack(): void;
  close(): void;
}

export interface Backend {
  readonly endpoints: Endpoints;
  invoke(channel: string, args: unknown[]): Promise<unknown>;
  on<K extends EventChannel>(channel: K, cb: (payload: Events[K]) => void): () => void;
  open(kind: string, args: unknown, transport: StreamTransport<unknown>): OpenStream;
  /**
   * Starts fetching the container list before the renderer asks for it (call
   * when a window or page starts loading); the next `containers/list` gets it.
   */
  prefetch(): void;
  /** The container list with the generation it was asked at (web mode inlines it in the page). */
  snapshot(): Promise<ContainerSnapshot>;
  /**
   * Moves on with every engine event as it arrives (before it is batched and
   * emitted), every reconnect of the event stream and every endpoint switch.
   */
  generation(): number;
  close(): void;
}

/** A prefetched list is handed out only this fresh, and only if no engine event came since. */
const SNAPSHOT_FRESH_MS = 3000;

type Opener<K extends StreamKind> = (
  docker: Dockerode,
  args: never,
  sink: StreamSink<StreamDown<K>>,
) => Promise<StreamSession<StreamUp<K>>>;

const OPENERS: { [K in StreamKind]: Opener<K> } = {
  logs: openLogs as Opener<'logs'>,
  terminal: openTerminal as Opener<'terminal'>,
  stats: openStats as Opener<'stats'>,
  pull: openPull as Opener<'pull'>,
};

export interface BackendOptions {
  endpoints: EndpointConfig[];
  log?: (msg: string) => void;
}

export function createBackend(opts: BackendOptions): Backend {
  const endpoints = new Endpoints(opts.endpoints);
  const handlers: Handlers = createHandlers(endpoints);
  const listeners: { [K in EventChannel]: Set<(p: Events[K]) => void> } = {
    'engine/events': new Set(),
    'endpoint/changed': new Set(),
    'engine/resync': new Set(),
  };
  const emit = <K extends EventChannel>(k: K, p: Events[K]): void => {
    for (const l of listeners[k]) l(p);
  };
  // The container list, shared by concurrent callers and reused while fresh:
  // any engine event or endpoint switch makes it stale (gen moves on).
  let gen = 0;
  let snapshot: { gen: number; at: number; list: Promise<ContainerSummary[]> } | undefined;
  const current = (): NonNullable<typeof snapshot> => {
    if (snapshot && snapshot.gen === gen && Date.now() - snapshot.at < SNAPSHOT_FRESH_MS) {
      return snapshot;
    }
    const s = { gen, at: Date.now(), list: handlers['containers/list']() };
    snapshot = s;
    s.list.catch(() => {
      if (snapshot === s) snapshot = undefined;
    });
    return s;
  };
  const containerList = (): Promise<ContainerSummary[]> => current().list;
  const feed = new EventFeed(endpoints, (ev) => emit('engine/events', ev), {
    onArrive: () => gen++,
    onResync: () => emit('engine/resync', { reason: "the engine's event stream reconnected" }),
  });
  const offEp = endpoints.onChange((ep) => {
    gen++;
    emit('endpoint/changed', ep);
  });
  const sessions = new Set<OpenStream>();
  // Warm up now (connection, JIT): the first page load's list is then one fast call.
  void containerList();

  return {
    endpoints,
    async invoke(channel, args) {
      if (!isInvokeChannel(channel)) throw new Error(`unknown channel ${JSON.stringify(channel)}`);
      if (!Array.isArray(args)) throw new Error('arguments must be a list');
      opts.log?.(`invoke ${channel}`);
      if (channel === 'containers/list') return containerList();
      const fn = handlers[channel as InvokeChannel] as (...a: unknown[]) => Promise<unknown>;
      return fn(...args);
    },
    on(channel, cb) {
      listeners[channel].add(cb);
      return () => listeners[channel].delete(cb);
    },
    open(kind, args, transport) {
      if (!isStreamKind(kind)) throw new Error(`unknown stream ${JSON.stringify(kind)}`);
      if (typeof args !== 'object' || args === null) throw new Error('stream arguments must be an object');
      const sink = new StreamSink<unknown>({
        send: (b) => transport.send(b),
        end: (e) => {
          sessions.delete(handle);
          transport.end(e);
        },
      });
      let session: StreamSession<unknown> | undefined;
      let closed = false;
      const early: unknown[] = [];
      const handle: OpenStream = {
        receive: (m) => {
          if (session) session.receive(m);
          else if (early.length < 1000) early.push(m);
        },
        ack: () => sink.ack(),
        close: () => {
          closed = true;
          if (session) session.close();
          else sink.end();
        },
      };
      sessions.add(handle);
      const opener = OPENERS[kind] as unknown as Opener<StreamKind>;
      opener(endpoints.docker, args as never, sink as StreamSink<never>).then(
        (s) => {
          session = s as StreamSession<unknown>;
          if (closed) s.close();
          else for (const m of early.splice(0)) session.receive(m);
        },
        (err: unknown) => sink.end(String(err)),
      );
      return handle;
    },
    prefetch() {
      void containerList();
    },
    async snapshot() {
      const s = current();
      return { gen: s.gen, containers: await s.list };
    },
    generation: () => gen,
    close() {
      snapshot = undefined;
      feed.close();
      offEp();
      for (const s of [...sessions]) s.close();
    },
  };
}
