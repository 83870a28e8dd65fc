// Electron main: boots the embedded engine (the same composition as
// `wharf daemon`, serving its socket), connects the backend's dockerode
// client to it, and opens the window. Quitting stops serving but leaves
// containers running (the shims own them).
import { app, BrowserWindow } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningDaemon } from '../../engine/daemon/index.js';
import { createBackend, type Backend } from './backend/index.js';
import { registerBridge } from './ipc-main.js';
import { resolveBinaries } from './native-paths.js';
import { createMainWindow, hardenSession, lockDown, registerAppScheme } from './window.js';

// Runs from its sources (entry.mjs); the preload is bundled to dist/preload.cjs.
const here = fileURLToPath(new URL('.', import.meta.url));
const log = (m: string): void => void process.stderr.write(`[wharf] ${m}\n`);
/** How long quitting waits for the engine to stop serving before exiting anyway. */
const QUIT_TIMEOUT_MS = 5000;

let daemon: RunningDaemon | undefined;
let backend: Backend | undefined;

async function bootEngine(): Promise<string> {
  const external = process.env.WHARF_ENGINE_SOCKET;
  if (external) return external;
  // As root, the system engine's places; otherwise data under userData and
  // the exec root (shim sockets live below it, so it must stay short: the
  // engine allows 27 bytes) in $XDG_RUNTIME_DIR, as rootless Docker does.
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const runDir = uid === 0 ? '/run/wharf' : join(process.env.XDG_RUNTIME_DIR || `/tmp/wharf-${uid}`, 'wharf');
  const dataRoot = uid === 0 ? undefined : join(app.getPath('userData'), 'engine');
  const sock = join(runDir, 'wharf.sock');
  // Packaged, the binaries are unpacked next to app.asar (and copied out of
  // an AppImage's mount, which goes away on quit while shims keep running).
  // The engine finds them through $WHARF_NATIVE_DIR (native/native-dir.ts),
  // read when its modules load: so it is imported only now.
  const bin = resolveBinaries({
    isPackaged: app.isPackaged,
    resourcesPath: process.resourcesPath,
    appImage: process.env.APPIMAGE,
    override: process.env.WHARF_NATIVE_DIR,
    stableRoot: join(app.getPath('userData'), 'bin'),
    version: app.getVersion(),
  });
  process.env.WHARF_NATIVE_DIR = bin.dir;
  const { startDaemon } = await import('../../engine/daemon/index.js');
  try {
    daemon = await startDaemon({
      hosts: [`unix://${sock}`],
      ...(dataRoot ? { dataRoot, execRoot: join(runDir, 'run') } : {}),
      insecureRegistries: [],
      registryMirrors: [],
      logLevel: 'info',
      runtimePath: bin.runtime,
      shimPath: bin.shim,
    });
  } catch (err) {
    // Another engine (`wharf daemon`, an earlier app) may hold the data root
    // and serve this socket: drive it.
    if (existsSync(sock)) {
      log(`using the engine already serving ${sock} (${(err as Error).message})`);
      return sock;
    }
    throw err;
  }
  return daemon.sockets[0]?.replace(/^unix:\/\//, '') ?? sock;
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  registerAppScheme();
  app.on('web-contents-created', (_e, contents) => lockDown(contents));
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0];
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  await app.whenReady();
  hardenSession(join(here, '../renderer/dist'));
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
    createMainWindow({ preload: join(here, 'dist/preload.cjs'), dark: false });
  };
  open();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) open();
  });
  app.on('window-all-closed', () => app.quit());
  // Stop serving, leave the containers running (their shims own them), exit.
  let closing = false;
  app.on('will-quit', (e) => {
    if (closing) return;
    closing = true;
    e.preventDefault();
    backend?.close();
    const stopped = daemon?.close() ?? Promise.resolve();
    const timeout = new Promise<void>((r) => setTimeout(r, QUIT_TIMEOUT_MS).unref());
    void Promise.race([
      stopped.catch((err: Error) => log(`engine shutdown: ${err.message}`)),
      timeout,
    ]).finally(() => app.exit(0));
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => app.quit());
}

main().catch((err: unknown) => {
  log(`failed to start: ${(err as Error)?.stack ?? String(err)}`);
  app.exit(1);
});
