// The preload: exposes one small object, `window.wharf` (the Bridge of
// app/shared/ipc.ts), through contextBridge. Unknown channels are rejected
// here, before anything reaches the main process; the renderer never sees
// ipcRenderer. Each stream gets its own MessagePort from main. Bundle this
// file to a single CommonJS script for the sandboxed renderer
// (scripts/build-electron.mjs).
import { contextBridge, ipcRenderer, type IpcRendererEvent, type RendererMessagePort } from 'electron';
import {
  isEventChannel,
  isInvokeChannel,
  isStreamKind,
  type Bridge,
  type BridgeError,
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
} from '../shared/ipc.js';

type Envelope<T> = { ok: true; value: T } | { ok: false; error: BridgeError };

let nextRid = 1;
const portWaiters = new Map<number, (port: RendererMessagePort) => void>();
ipcRenderer.on('bridge/port', (e: IpcRendererEvent, ...a: unknown[]) => {
  const rid = (a[0] as { rid?: number } | undefined)?.rid;
  const port = e.ports[0];
  if (typeof rid !== 'number' || !port) return;
  portWaiters.get(rid)?.(port);
  portWaiters.delete(rid);
});

const bridge: Bridge = {
  kind: 'electron',
  async invoke<K extends InvokeChannel>(channel: K, ...args: InvokeArgs<K>): Promise<InvokeResult<K>> {
    if (!isInvokeChannel(channel)) throw new Error(`unknown channel ${String(channel)}`);
    const r = (await ipcRenderer.invoke('bridge/invoke', channel, args)) as Envelope<InvokeResult<K>>;
    if (!r.ok) throw Object.assign(new Error(r.error.message), { status: r.error.status });
    return r.value;
  },
  on<K extends EventChannel>(channel: K, cb: (payload: Events[K]) => void) {
    if (!isEventChannel(channel)) throw new Error(`unknown event ${String(channel)}`);
    const listener = (_e: IpcRendererEvent, ...a: unknown[]): void => {
      if (a[0] === channel) cb(a[1] as Events[K]);
    };
    ipcRenderer.on('bridge/event', listener);
    return () => ipcRenderer.removeListener('bridge/event', listener);
  },
  open<K extends StreamKind>(kind: K, args: StreamArgs<K>): StreamHandle<K> {
    if (!isStreamKind(kind)) throw new Error(`unknown stream ${String(kind)}`);
    const rid = nextRid++;
    const data = new Set<(b: StreamDown<K>[]) => void>();
    const end = new Set<(e?: string) => void>();
    const queue: unknown[] = [];
    let port: RendererMessagePort | undefined;
    let ended = false;
    const post = (m: unknown): void => {
      if (port) port.postMessage(m);
      else queue.push(m);
    };
    portWaiters.set(rid, (p) => {
      port = p;
      p.onmessage = (e) => {
        const m = e.data as { t: 'data'; batch: StreamDown<K>[] } | { t: 'end'; error?: string };
        if (m.t === 'data') for (const cb of data) cb(m.batch);
        else if (!ended) {
          ended = true;
          for (const cb of end) cb(m.error);
          p.close();
        }
      };
      p.start();
      for (const m of queue.splice(0)) p.postMessage(m);
    });
    ipcRenderer.send('bridge/open', { rid, kind, args });
    return {
      onData(cb) {
        data.add(cb);
        return () => data.delete(cb);
      },
      onEnd(cb) {
        end.add(cb);
        return () => end.delete(cb);
      },
      send: (msg: StreamUp<K>) => post({ t: 'up', msg }),
      ack: () => post({ t: 'ack' }),
      close: () => post({ t: 'close' }),
    };
  },
};

contextBridge.exposeInMainWorld('wharf', bridge);
