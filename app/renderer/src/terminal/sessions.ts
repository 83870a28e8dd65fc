// Terminal sessions that outlive their tab: one xterm + one bridge stream per
// container, kept in a module-level map. The tab only lends it a place in
// the DOM. Output is written as bytes; each batch is acked once xterm has
// parsed it (its write callback), so a flood pauses the engine stream
// instead of piling up in xterm's buffer.
import { Terminal, type ITheme } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import type { StreamHandle } from '../../../shared/ipc.js';
import { bridge } from '../bridge/index.js';
import { onThemeChange, resolvedTheme } from '../lib/theme.js';

export interface TermSession {
  readonly id: string;
  readonly term: Terminal;
  readonly host: HTMLDivElement;
  ended: boolean;
  error: string | undefined;
  fit(): void;
  dispose(): void;
  onStateChange(cb: () => void): () => void;
}

const sessions = new Map<string, TermSession>();

function theme(): ITheme {
  return resolvedTheme() === 'dark'
    ? { background: '#0f1320', foreground: '#dfe4f0', cursor: '#7aa2ff', selectionBackground: '#2f3d63' }
    : { background: '#fbfcfe', foreground: '#1d2433', cursor: '#3863e0', selectionBackground: '#c9d6fb' };
}

export function getSession(id: string): TermSession | undefined {
  return sessions.get(id);
}

export function openSession(id: string): TermSession {
  const existing = sessions.get(id);
  if (existing && !existing.ended) return existing;
  existing?.dispose();

  const host = document.createElement('div');
  host.className = 'term-host';
  const term = new Terminal({
    fontFamily: 'ui-monospace, "JetBrains Mono", "DejaVu Sans Mono", Menlo, monospace',
    fontSize: 13,
    cursorBlink: true,
    scrollback: 5000,
    theme: theme(),
    allowProposedApi: false,
  });
  const fitAddon = new FitAddon();
  term.loadAddon(fitAddon);
  let opened = false;
  const listeners = new Set<() => void>();
  const changed = (): void => listeners.forEach((l) => l());

  const stream: StreamHandle<'terminal'> = bridge.open('terminal', { id, cols: 80, rows: 24 });
  const disposables: { dispose(): void }[] = [];
  disposables.push(term.onData((data) => stream.send({ type: 'input', data })));
  disposables.push(
    term.onResize(({ cols, rows }) => {
      if (!session.ended) stream.send({ type: 'resize', cols, rows });
    }),
  );
  term.attachCustomKeyEventHandler((e) => {
    if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey) return true;
    if (e.code === 'KeyC') {
      const sel = term.getSelection();
      if (sel) void navigator.clipboard?.writeText(sel).catch(() => {});
      return false;
    }
    if (e.code === 'KeyV') {
      void navigator.clipboard
        ?.readText()
        .then((t) => term.paste(t))
        .catch(() => {});
      return false;
    }
    return true;
  });
  const offData = stream.onData((batch) => {
    const last = batch.length - 1;
    batch.forEach((chunk, i) => term.write(chunk, i === last ? () => stream.ack() : undefined));
    if (last < 0) stream.ack();
  });
  const offEnd = stream.onEnd((err) => {
    session.ended = true;
    session.error = err;
    term.write(`\r\n\x1b[2m[${err ? `error: ${err}` : 'session ended'}]\x1b[0m\r\n`);
    changed();
  });

  // Follow the app's light/dark theme (the user's choice or the system's).
  const offTheme = onThemeChange(() => {
    term.options.theme = theme();
  });
  disposables.push({ dispose: offTheme });

  const session: TermSession = {
    id,
    term,
    host,
    ended: false,
    error: undefined,
    fit() {
      if (!host.isConnected || host.clientWidth === 0) return;
      if (!opened) {
        term.open(host);
        opened = true;
      }
      try {
        fitAddon.fit();
      } catch {
        /* not laid out yet */
      }
    },
    dispose() {
      offData();
      offEnd();
      disposables.forEach((d) => d.dispose());
      stream.close();
      term.dispose();
      host.remove();
      if (sessions.get(id) === session) sessions.delete(id);
    },
    onStateChange(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  };
  sessions.set(id, session);
  return session;
}

export function closeSession(id: string): void {
  sessions.get(id)?.dispose();
}
