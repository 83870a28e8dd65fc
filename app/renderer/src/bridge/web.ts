// The Bridge over HTTP + WebSocket (web mode). Invokes are POSTs, events one
// WebSocket (reconnecting), each stream its own WebSocket with acks.
import type {
  Bridge,
  BridgeError,
  EventChannel,
  Events,
  InvokeArgs,
  InvokeChannel,
  InvokeResult,
  StreamArgs,
  StreamDown,
  StreamHandle,
  StreamKind,
  StreamUp,
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

export function createWebBridge(): Bridge {
  type Listener = (p: unknown) => void;
  const listeners = new Map<EventChannel, Set<Listener>>();
  let events: WebSocket | undefined;
  let retry = 250;

  let dropped = false;
  const emit = (channel: EventChannel, payload: unknown): void => {
    for (const l of listeners.get(channel) ?? []) l(payload);
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
      const m = JSON.parse(String(e.data)) as { channel: EventChannel; payload: unknown };
      emit(m.channel, m.payload);
    };
    ws.onclose = () => {
      events = undefined;
      dropped = true;
      setTimeout(connectEvents, retry);
      retry = Math.min(retry * 2, 5000);
    };
  };

  const bridge: Bridge = {
    kind: 'web',
    async invoke<K extends InvokeChannel>(channel: K, ...args: InvokeArgs<K>): Promise<InvokeResult<K>> {
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
