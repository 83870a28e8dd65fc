// The Electron shell launches, shows the window (hidden until ready), and
// the renderer reaches the engine through the preload bridge. Needs an
// Electron binary (`electron` npm package with its download, or
// WHARF_ELECTRON=/path/to/electron) and `npm run build:electron`; skips,
// saying why, where there is none (as on the build machine, which cannot
// reach Electron's CDN).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { _electron, type ElectronApplication } from 'playwright-core';
import { skipReason as engineSkip, startTestDaemon, type TestDaemon } from '../engine/api/testing.js';
import { REPO, RESULTS } from './utils/harness.js';

function electronBinary(): string | undefined {
  if (process.env.WHARF_ELECTRON) return process.env.WHARF_ELECTRON;
  try {
    const req = createRequire(import.meta.url);
    const p = req('electron') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

const bin = electronBinary();
const mainJs = join(REPO, 'app/main/entry.mjs');
const preload = join(REPO, 'app/main/dist/preload.cjs');
const reason = !bin
  ? 'no Electron binary (the electron package is not installed here: its postinstall download cannot reach the Electron CDN; set WHARF_ELECTRON to run this)'
  : !existsSync(preload)
    ? 'app/main/dist/preload.cjs is missing (npm run build:electron)'
    : engineSkip();
if (reason) console.log(`# skipping electron e2e: ${reason}`);

describe('electron shell', { skip: reason }, () => {
  let app: ElectronApplication | undefined;
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startTestDaemon('electron');
  });
  after(async () => {
    await app?.close().catch(() => {});
    await daemon?.cleanup();
  });

  test('opens a sandboxed window that lists containers through the bridge', async () => {
    app = await _electron.launch({
      executablePath: bin!,
      args: [mainJs, '--no-sandbox'],
      env: { ...process.env, WHARF_ENGINE_SOCKET: daemon.socket },
    });
    const page = await app.firstWindow();
    await page.waitForSelector('.engine-status .dot.ok', { timeout: 20_000 });
    const isolated = await page.evaluate(
      () => typeof (globalThis as { require?: unknown }).require === 'undefined',
    );
    assert.ok(isolated, 'no Node in the renderer');
    const kind = await page.evaluate(
      () => (globalThis as unknown as { wharf?: { kind: string } }).wharf?.kind,
    );
    assert.equal(kind, 'electron');
    await page.screenshot({ path: join(RESULTS, 'electron-window.png') });
  });
});
