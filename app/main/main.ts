// Electron main: boots the embedded engine (the same composition as
// `wharf daemon`, serving its socket), connects the backend's dockerode
// client to it, and opens the window. Quitting stops serving but leaves
// containers running (the shims own them).
import { app } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon, type RunningDaemon } from '../../engine/daemon/index.js';
import { createBackend, type Backend } from './backend/index.js';
import { registerBridge } from './ipc-main.js';
import { createMainWindow, hardenSession, lockDown } from './window.js';

// Runs from its sources (entry.mjs); the preload is bundled to dist/preload.cjs.
const here = fileURLToPath(new URL('.', import.meta.url));
const log = (m: string): void => void process.stderr.write(`[wharf] ${m}\n`);

let daemon: RunningDaemon | undefined;
let backend: Backend | undefined;

async function bootEngine(): Promise<string> {
  const external = process.env.WHARF_ENGINE_SOCKET;
  if (external) return external;
  const rootless = typeof process.getuid === 'function' && process.getuid() !== 0;
  const base = rootless ? join(app.getPath('userData'), 'engine') : undefined;
  const sock = join(base ?? '/run/wharf', 'wharf.sock');
  daemon = await startDaemon({
    hosts: [`unix://${sock}`],
    ...(base ? { dataRoot: join(base, 'data'), execRoot: join(base, 'run') } : {}),
    insecureRegistries: [],
    registryMirrors: [],
    logLevel: 'info',
  });
  return daemon.sockets[0]?.replace(/^unix:\/\//, '') ?? sock;
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.on('web-contents-created', (_e, contents) => lockDown(contents));
  await app.whenReady();
  hardenSession();
  let socket: string;
  try {
    socket = await bootEngine();
  } catch (err) {
    log(`the embedded engine did not start: ${(err as Error).message}`);
    socket = '/var/run/docker.sock';
  }
  backend = createBackend({
    endpoints: [{ id: 'embedded', name: 'Wharf (embedded)', kind: 'embedded', address: socket }],
    log,
  });
  registerBridge(backend, log);
  const open = (): void => {
    backend?.prefetch(); // the list is on its way while the page loads
    createMainWindow({
      preload: join(here, 'dist/preload.cjs'),
      indexHtml: join(here, '../renderer/dist/index.html'),
      dark: false,
    });
  };
  open();
  app.on('activate', () => open());
  app.on('window-all-closed', () => app.quit());
  let closing = false;
  app.on('will-quit', (e) => {
    if (closing) return;
    closing = true;
    e.preventDefault();
    backend?.close();
    void (daemon?.close() ?? Promise.resolve()).finally(() => app.exit(0));
  });
}

void main();
