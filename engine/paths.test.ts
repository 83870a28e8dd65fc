// The one place that picks the data and exec roots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertExecRootFits,
  containerPaths,
  MAX_EXEC_ROOT,
  resolveEnginePaths,
  ROOTFUL_DATA_ROOT,
  ROOTFUL_EXEC_ROOT,
  SUN_PATH_MAX,
} from './paths.js';

test('explicit options win over the environment and defaults', () => {
  const p = resolveEnginePaths(
    { dataRoot: '/x/data', execRoot: '/x/run' },
    { WHARF_DATA_ROOT: '/env/data', WHARF_EXEC_ROOT: '/env/run' },
  );
  assert.deepEqual(p, { dataRoot: '/x/data', execRoot: '/x/run' });
});

test('$WHARF_DATA_ROOT and $WHARF_EXEC_ROOT override the defaults', () => {
  assert.deepEqual(resolveEnginePaths({}, { WHARF_DATA_ROOT: '/env/data', WHARF_EXEC_ROOT: '/env/run' }), {
    dataRoot: '/env/data',
    execRoot: '/env/run',
  });
});

test('defaults: /var/lib/wharf and /run/wharf for root, per-user dirs otherwise', () => {
  const p = resolveEnginePaths(
    {},
    { XDG_DATA_HOME: '/home/u/.local/share', XDG_RUNTIME_DIR: '/run/user/1000' },
  );
  if (process.getuid?.() === 0) {
    assert.deepEqual(p, { dataRoot: ROOTFUL_DATA_ROOT, execRoot: ROOTFUL_EXEC_ROOT });
  } else {
    assert.deepEqual(p, { dataRoot: '/home/u/.local/share/wharf', execRoot: '/run/user/1000/wharf' });
  }
});

test('container paths live below the roots', () => {
  const p = { dataRoot: '/d', execRoot: '/e' };
  assert.equal(containerPaths.record(p, 'abc'), '/d/containers/abc/config.v2.json');
  assert.equal(containerPaths.log(p, 'abc'), '/d/containers/abc/abc-json.log');
  assert.equal(containerPaths.bundle(p, 'abc'), '/e/c/abc/bundle');
  assert.equal(containerPaths.runtimeRoot(p), '/e/runtime');
});

test('shim sockets fit in sun_path under the default roots; a too-long exec root is refused', () => {
  const id = 'a'.repeat(64);
  for (const execRoot of [ROOTFUL_EXEC_ROOT, '/run/user/4294967294/wharf']) {
    const p = { dataRoot: '/d', execRoot };
    assertExecRootFits(p);
    assert.ok(`${containerPaths.stateDir(p, id)}/console.sock`.length <= SUN_PATH_MAX);
    assert.ok(`${containerPaths.execStateDir(p, 'b'.repeat(16))}/console.sock`.length <= SUN_PATH_MAX);
  }
  const atMax = { dataRoot: '/d', execRoot: `/${'x'.repeat(MAX_EXEC_ROOT - 1)}` };
  assertExecRootFits(atMax);
  assert.equal(`${containerPaths.stateDir(atMax, id)}/console.sock`.length, SUN_PATH_MAX);
  assert.throws(
    () => assertExecRootFits({ dataRoot: '/d', execRoot: `/${'x'.repeat(MAX_EXEC_ROOT)}` }),
    /too long .*--exec-root/,
  );
});
