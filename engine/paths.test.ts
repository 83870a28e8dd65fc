// The one place that picks the data and exec roots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerPaths, resolveEnginePaths, ROOTFUL_DATA_ROOT, ROOTFUL_EXEC_ROOT } from './paths.js';

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
  assert.equal(containerPaths.bundle(p, 'abc'), '/e/containers/abc/bundle');
  assert.equal(containerPaths.runtimeRoot(p), '/e/runtime');
});
