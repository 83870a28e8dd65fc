import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXECUTABLES, nativeDir, resolveBinaries, stableCopy } from './native-paths.js';

const dir = mkdtempSync(join(tmpdir(), 'wharf-native-paths-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('from the sources: native/build/Release of this checkout', () => {
  const d = nativeDir({ isPackaged: false });
  assert.match(d, /native\/build\/Release$/);
  assert.ok(existsSync(join(d, '..', '..', 'binding.gyp')), d);
  assert.equal(resolveBinaries({ isPackaged: false, stableRoot: dir, version: '1' }).dir, d);
});

test('$WHARF_NATIVE_DIR wins', () => {
  const b = resolveBinaries({ isPackaged: true, override: '/x/y', stableRoot: dir, version: '1' });
  assert.deepEqual(b, {
    dir: '/x/y',
    runtime: '/x/y/wharf-runtime',
    shim: '/x/y/wharf-shim',
    untar: '/x/y/wharf-untar',
  });
});

test('packaged: the unpacked copy next to app.asar', () => {
  const b = resolveBinaries({
    isPackaged: true,
    resourcesPath: '/opt/Wharf/resources',
    stableRoot: dir,
    version: '1',
  });
  assert.equal(b.dir, '/opt/Wharf/resources/app.asar.unpacked/native/build/Release');
  assert.equal(b.shim, '/opt/Wharf/resources/app.asar.unpacked/native/build/Release/wharf-shim');
  assert.ok(!b.dir.includes('app.asar/'));
});

test('AppImage: executables copied to a stable folder, once per version', () => {
  const resources = join(dir, 'mount', 'resources');
  const rel = join(resources, 'app.asar.unpacked', 'native', 'build', 'Release');
  mkdirSync(rel, { recursive: true });
  for (const n of EXECUTABLES) writeFileSync(join(rel, n), `#!/bin/sh\necho ${n}\n`);
  writeFileSync(join(rel, 'wharf_native.node'), 'addon');
  const stable = join(dir, 'bin');
  const b = resolveBinaries({
    isPackaged: true,
    resourcesPath: resources,
    appImage: '/home/u/Wharf.AppImage',
    stableRoot: stable,
    version: '0.1.0',
  });
  assert.equal(b.dir, join(stable, '0.1.0'));
  for (const n of EXECUTABLES) {
    const p = join(b.dir, n);
    assert.equal(readFileSync(p, 'utf8'), `#!/bin/sh\necho ${n}\n`);
    assert.equal(statSync(p).mode & 0o777, 0o755);
  }
  assert.equal(readFileSync(join(b.dir, 'wharf_native.node'), 'utf8'), 'addon');
  // A second run keeps the copy (running shims may be executing it).
  const ino = statSync(b.shim).ino;
  stableCopy(rel, b.dir);
  assert.equal(statSync(b.shim).ino, ino);
});
