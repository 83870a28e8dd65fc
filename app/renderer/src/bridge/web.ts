// The Bridge over HTTP + WebSocket (web mode). Invokes are POSTs, events one
// WebSocket (reconnecting), each stream its own WebSocket with acks.
import {
  SNAPSHOT_ELEMENT_ID,
  type Bridge,
  type BridgeError,
  type ContainerSnapshot,
  type EventChannel,
  type Events,
  type InvokeArgs,
  type InvokeChannel,
  type InvokeResult,
  type StreamArgs,
  type StreamDown,
  type StreamHandle,
  type StreamKind,
  type StreamUp,
} from '../../../shared/ipc.js';

export class EngineError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

function wsUrl(path: string): string {
  const u = new URL(path, location.href);
  u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

/** The first container list, when the server put it in the page (ipc.ts, SNAPSHOT_ELEMENT_ID). */
function takeInlineSnapshot(): ContainerSnapshot | undefined {
  const el = document.getElementById(SNAPSHOT_ELEMENT_ID);
  if (!el) return undefined;
  el.remove();
  try {
    const v = JSON.parse(el.textContent ?? '') as Partial<ContainerSnapshot> | null;
    return typeof v?.gen === 'number' && Array.isArray(v.containers)
      ? { gen: v.gen, containers: v.containers }
      : undefined;
  } catch {
    return undefined;
  }
}

/** How long a list request waits for the events subscription before going ahead anyway. */
const SUBSCRIBE_WAIT_MS = 2000;

export function createWebBridge(): Bridge {
  type Listener = (p: unknown) => void;
  const listeners = new Map<EventChannel, Set<Listener>>();
  let events: WebSocket | undefined;
  let retry = 250;
  let dropped = false;
  const emit = (channel: EventChannel, payload: unknown): void => {
    for (const l of listeners.get(channel) ?? []) l(payload);
  };
  // The page's list answers the first `containers/list` without a round trip.
  // It is good if the events subscription began at its generation; if it
  // began later, events in between may be missing: the stores reload.
  let inline = takeInlineSnapshot();
  let servedGen: number | undefined;
  /** Generation at which the current events connection subscribed (its hello). */
  let helloGen: number | undefined;
  const helloWaiters: (() => void)[] = [];
  const onHello = (gen: number): void => {
    helloGen = gen;
    if (inline && inline.gen !== gen) inline = undefined;
    if (servedGen !== undefined && servedGen !== gen) {
      emit('engine/resync', { reason: 'the first list is older than the event subscription' });
    }
    servedGen = undefined;
    for (const w of helloWaiters.splice(0)) w();
  };
  /** Resolves once events are flowing (so a list asked for now misses none), or there is no subscription. */
  const subscribed = (): Promise<void> => {
    if (!events || helloGen !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, SUBSCRIBE_WAIT_MS);
      helloWaiters.push(done);
    });
  };

  const connectEvents = (): void => {
    const ws = new WebSocket(wsUrl('api/events'));
    events = ws;
    ws.onopen = () => {
      retry = 250;
      if (!dropped) return;
      // Events were missed while disconnected: tell the stores to reload,
      // as they do when the endpoint changes.
      dropped = false;
      void bridge.invoke('endpoints/list').then(
        (eps) => {
          const active = eps.find((e) => e.active);
          if (active) emit('endpoint/changed', active);
        },
        () => {},
      );
    };
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as
        { channel: EventChannel; payload: unknown } | { hello: { gen: number } };
      if ('hello' in m) onHello(m.hello.gen);
      else emit(m.channel, m.payload);
    };
    ws.onclose = () => {
      events = undefined;
      helloGen = undefined;
      dropped = true;
      setTimeout(connectEvents, retry);
      retry = Math.min(retry * 2, 5000);
    };
  };

  const bridge: Bridge = {
    kind: 'web',
    async invoke<K extends InvokeChannel>(channel: K, ...args: InvokeArgs<K>): Promise<InvokeResult<K>> {
      if (channel === 'containers/list') {
        const snap = inline;
        inline = undefined;
        if (snap) {
          if (helloGen === undefined) servedGen = snap.gen; // checked when the hello comes
          return snap.containers as InvokeResult<K>;
        }
        await subscribed();
      }
      const res = await fetch('api/invoke', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel, args }),
      });
      if (res.status === 401)
        throw new EngineError('This page needs its token again: open the URL `wharf serve` printed.');
      const body = (await res.json()) as
        { ok: true; value: InvokeResult<K> } | { ok: false; error: BridgeError };
      if (!body.ok) throw new EngineError(body.error.message, body.error.status);
      return body.value;
    },
    on<K extends EventChannel>(channel: K, cb: (payload: Events[K]) => void) {
      if (!events) connectEvents();
      const set = listeners.get(channel) ?? new Set<Listener>();
      listeners.set(channel, set);
      const l = cb as Listener;
      set.add(l);
      return () => set.delete(l);
    },
    open<K extends StreamKind>(kind: K, args: StreamArgs<K>): StreamHandle<K> {
      const q = new URLSearchParams({ kind, args: JSON.stringify(args) });
      const ws = new WebSocket(wsUrl(`api/stream?${q}`));
      ws.binaryType = 'arraybuffer';
      const data = new Set<(b: StreamDown<K>[]) => void>();
      const end = new Set<(e?: string) => void>();
      const queue: string[] = [];
      let ended = false;
      const finish = (err?: string): void => {
        if (ended) return;
        ended = true;
        for (const cb of end) cb(err);
      };
      const post = (m: object): void => {
        const s = JSON.stringify(m);
        if (ws.readyState === WebSocket.OPEN) ws.send(s);
        else if (ws.readyState === WebSocket.CONNECTING) queue.push(s);
      };
      ws.onopen = () => {
        for (const s of queue.splice(0)) ws.send(s);
      };
      ws.onmessage = (e) => {
        if (e.data instanceof ArrayBuffer) {
          const batch = [new Uint8Array(e.data)] as StreamDown<K>[];
          for (const cb of data) cb(batch);
          return;
        }
        const m = JSON.parse(String(e.data)) as
          { t: 'data'; batch: StreamDown<K>[] } | { t: 'end'; error?: string };
        if (m.t === 'data') for (const cb of data) cb(m.batch);
        else finish(m.error);
      };
      ws.onclose = () => finish();
      ws.onerror = () => finish('The connection to the engine was lost.');
      return {
        onData(cb) {
          data.add(cb);
          return () => data.delete(cb);
        },
        onEnd(cb) {
          end.add(cb);
          return () => end.delete(cb);
        },
        send(msg: StreamUp<K>) {
          post({ t: 'up', msg });
        },
        ack() {
          post({ t: 'ack' });
        },
        close() {
          if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ t: 'close' }));
          ws.close();
        },
      };
    },
  };
  return bridge;
}
