// Main-process side of the bridge: one handler for invokes (answering an
// envelope so errors reach the renderer as plain messages), events fanned
// out to every live window, and one MessageChannelMain per stream.
import { ipcMain, MessageChannelMain, type WebContents } from 'electron';
import { isStreamKind } from '../shared/ipc.js';
import { describeError, type Backend } from './backend/index.js';

export function registerBridge(backend: Backend, log: (m: string) => void): () => void {
  const windows = new Set<WebContents>();

  ipcMain.handle('bridge/invoke', async (e, channel, args) => {
    windows.add(e.sender);
    try {
      const value = await backend.invoke(String(channel), Array.isArray(args) ? args : []);
      return { ok: true, value: value ?? null };
    } catch (err) {
      const error = describeError(err);
      log(`invoke ${String(channel)} failed: ${error.message}`);
      return { ok: false, error };
    }
  });

  const offs = (['engine/events', 'endpoint/changed'] as const).map((ch) =>
    backend.on(ch, (payload) => {
      for (const wc of windows) {
        if (wc.isDestroyed()) windows.delete(wc);
        else wc.send('bridge/event', ch, payload);
      }
    }),
  );

  ipcMain.on('bridge/open', (e, req) => {
    windows.add(e.sender);
    const { rid, kind, args } = (req ?? {}) as { rid?: unknown; kind?: unknown; args?: unknown };
    if (typeof rid !== 'number' || !isStreamKind(kind)) return;
    const { port1, port2 } = new MessageChannelMain();
    let stream: ReturnType<Backend['open']> | undefined;
    try {
      stream = backend.open(kind, args, {
        send: (batch) => port1.postMessage({ t: 'data', batch }),
        end: (error) => {
          port1.postMessage({ t: 'end', ...(error ? { error } : {}) });
          port1.close();
        },
      });
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

  return () => offs.forEach((o) => o());
}
