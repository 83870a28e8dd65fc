// Main-process side of the bridge: one handler for invokes (answering an
// envelope so errors reach the renderer as plain messages), events fanned
// out to every live window, and one MessageChannelMain per stream. Only the
// app's own pages (wharf://app/) may use it; a page's streams end when it
// goes away (closed, reloaded or crashed).
import { ipcMain, MessageChannelMain, type IpcMainEvent, type WebContents } from 'electron';
import { EVENT_CHANNEL_LIST, isStreamKind } from '../shared/ipc.js';
import { isAppUrl } from './app-protocol.js';
import { describeError, type Backend, type OpenStream } from './backend/index.js';

type Sender = Pick<IpcMainEvent, 'sender' | 'senderFrame'>;

export function registerBridge(backend: Backend, log: (m: string) => void): () => void {
  const windows = new Set<WebContents>();
  const streams = new Map<WebContents, Set<OpenStream>>();

  /** Is the message from one of our pages? Anything else is dropped. */
  const trusted = (e: Sender): boolean => {
    if (isAppUrl(e.senderFrame?.url)) return true;
    log(`bridge message from an unexpected page dropped: ${e.senderFrame?.url ?? 'unknown'}`);
    return false;
  };

  const track = (wc: WebContents): void => {
    if (windows.has(wc)) return;
    windows.add(wc);
    const drop = (): void => {
      for (const s of streams.get(wc) ?? []) s.close();
      streams.delete(wc);
    };
    // A reload starts over: its old streams have no one to read them.
    wc.on('did-start-navigation', (_e, _url, isInPlace, isMainFrame) => {
      if (isMainFrame && !isInPlace) drop();
    });
    wc.on('render-process-gone', drop);
    wc.once('destroyed', () => {
      drop();
      windows.delete(wc);
    });
  };

  ipcMain.handle('bridge/invoke', async (e, channel, args) => {
    if (!trusted(e)) return { ok: false, error: { message: 'not allowed' } };
    track(e.sender);
    try {
      const value = await backend.invoke(String(channel), Array.isArray(args) ? args : []);
      return { ok: true, value: value ?? null };
    } catch (err) {
      const error = describeError(err);
      log(`invoke ${String(channel)} failed: ${error.message}`);
      return { ok: false, error };
    }
  });

  const offs = EVENT_CHANNEL_LIST.map((ch) =>
    backend.on(ch, (payload) => {
      for (const wc of windows) {
        if (wc.isDestroyed()) windows.delete(wc);
        else wc.send('bridge/event', ch, payload);
      }
    }),
  );

  ipcMain.on('bridge/open', (e, req) => {
    if (!trusted(e)) return;
    track(e.sender);
    const { rid, kind, args } = (req ?? {}) as { rid?: unknown; kind?: unknown; args?: unknown };
    if (typeof rid !== 'number' || !isStreamKind(kind)) return;
    const { port1, port2 } = new MessageChannelMain();
    let stream: OpenStream | undefined;
    const owned = streams.get(e.sender) ?? new Set<OpenStream>();
    streams.set(e.sender, owned);
    try {
      stream = backend.open(kind, args, {
        // Batched and credit-limited by the backend's StreamSink (STREAM_WINDOW).
        send: (batch) => port1.postMessage({ t: 'data', batch }),
        end: (error) => {
          if (stream) owned.delete(stream);
          port1.postMessage({ t: 'end', ...(error ? { error } : {}) });
          port1.close();
        },
      });
      owned.add(stream);
    } catch (err) {
      port1.postMessage({ t: 'end', error: describeError(err).message });
    }
    const s = stream;
    port1.on('message', ({ data }) => {
      const m = data as { t?: string; msg?: unknown };
      if (m.t === 'ack') s?.ack();
      else if (m.t === 'up') s?.receive(m.msg);
      else if (m.t === 'close') s?.close();
    });
    port1.on('close', () => s?.close());
    port1.start();
    e.sender.postMessage('bridge/port', { rid }, [port2]);
  });

  return () => {
    offs.forEach((o) => o());
    ipcMain.removeHandler('bridge/invoke');
    ipcMain.removeAllListeners('bridge/open');
    for (const set of streams.values()) for (const s of set) s.close();
    streams.clear();
  };
}
