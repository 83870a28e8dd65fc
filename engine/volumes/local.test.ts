// The local volume driver and copy-up, on a real temp data root.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWharfError } from '../errors.js';
import type { EnginePaths } from '../paths.js';
import {
  ANONYMOUS_LABEL,
  copyUp,
  isAnonymous,
  LocalVolumeStore,
  volumeMounts,
  volumeNameError,
} from './index.js';

function tempPaths(): EnginePaths {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-vol-'));
  return { dataRoot: join(dir, 'data'), execRoot: join(dir, 'run') };
}

describe('LocalVolumeStore', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const open = async (): Promise<{ store: LocalVolumeStore; paths: EnginePaths }> => {
    const paths = tempPaths();
    dirs.push(join(paths.dataRoot, '..'));
    return { store: await LocalVolumeStore.open(paths), paths };
  };

  test('create lays out <data-root>/volumes/<name>/_data with metadata, and is idempotent', async () => {
    const { store, paths } = await open();
    const { volume, created } = await store.create({ name: 'data', labels: { a: 'b' } });
    assert.equal(created, true);
    assert.equal(volume.Mountpoint, join(paths.dataRoot, 'volumes/data/_data'));
    assert.deepEqual(
      {
        Name: volume.Name,
        Driver: volume.Driver,
        Scope: volume.Scope,
        Labels: volume.Labels,
        Options: volume.Options,
      },
      { Name: 'data', Driver: 'local', Scope: 'local', Labels: { a: 'b' }, Options: {} },
    );
    assert.ok(existsSync(volume.Mountpoint));
    const meta = JSON.parse(readFileSync(join(paths.dataRoot, 'volumes/data/volume.json'), 'utf8')) as {
      Name: string;
    };
    assert.equal(meta.Name, 'data');
    const again = await store.create({ name: 'data' });
    assert.equal(again.created, false);
    assert.deepEqual(again.volume.Labels, { a: 'b' });
  });

  test('reopening finds volumes and drops half-created and half-removed ones', async () => {
    const { store, paths } = await open();
    await store.create({ name: 'keep' });
    writeFileSync(join(store.mountpoint('keep'), 'f'), 'x');
    mkdirSync(join(paths.dataRoot, 'volumes/half/_data'), { recursive: true });
    mkdirSync(join(paths.dataRoot, 'volumes/.trash-0123'), { recursive: true });
    const again = await LocalVolumeStore.open(paths);
    assert.deepEqual(
      again.list().map((v) => v.Name),
      ['keep'],
    );
    assert.ok(!existsSync(join(paths.dataRoot, 'volumes/half')));
    assert.ok(!existsSync(join(paths.dataRoot, 'volumes/.trash-0123')));
    assert.equal(await again.size('keep'), 1);
  });

  test('anonymous volumes get a random 64-hex name and the anonymous label', async () => {
    const { store } = await open();
    const { volume } = await store.create({ anonymous: true });
    assert.match(volume.Name, /^[0-9a-f]{64}$/);
    assert.equal(volume.Labels[ANONYMOUS_LABEL], '');
    assert.ok(isAnonymous(volume));
  });

  test("names follow Docker's rule and message", async () => {
    const { store } = await open();
    assert.equal(volumeNameError('ok.name_1-2'), undefined);
    await assert.rejects(store.create({ name: 'x' }), /create x: volume name is too short/);
    await assert.rejects(
      store.create({ name: '../etc' }),
      /"\.\.\/etc" includes invalid characters for a local volume name, only "\[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]" are allowed/,
    );
    await assert.rejects(store.create({ name: 'ab', driver: 'nfs' }), /plugin "nfs" not found/);
    await assert.rejects(store.create({ name: 'ab', options: { foo: 'x' } }), /invalid option key: "foo"/);
  });

  test('remove deletes data and metadata; missing volumes are NOT_FOUND', async () => {
    const { store, paths } = await open();
    await store.create({ name: 'gone' });
    writeFileSync(join(store.mountpoint('gone'), 'f'), 'x');
    await store.remove('gone');
    assert.equal(store.get('gone'), undefined);
    assert.ok(!existsSync(join(paths.dataRoot, 'volumes/gone')));
    await assert.rejects(store.remove('gone'), (err) => isWharfError(err, 'VOLUME_NOT_FOUND'));
  });

  test('concurrent creates of one name make one volume', async () => {
    const { store } = await open();
    const results = await Promise.all([1, 2, 3, 4].map(() => store.create({ name: 'race' })));
    assert.equal(results.filter((r) => r.created).length, 1);
  });
});

describe('copyUp', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-copyup-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('copies the image content, symlinks as symlinks; skips paths through symlinks', async () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'srv/sub'), { recursive: true });
    writeFileSync(join(root, 'srv/sub/f'), 'hello');
    symlinkSync('/etc/passwd', join(root, 'srv/link'));
    symlinkSync('/etc', join(root, 'escape'));
    const data = join(dir, 'vol');
    mkdirSync(data);
    assert.equal(await copyUp(root, '/srv', data), 'copied');
    assert.equal(readFileSync(join(data, 'sub/f'), 'utf8'), 'hello');
    assert.equal(readlinkSync(join(data, 'link')), '/etc/passwd');
    assert.equal(await copyUp(root, '/srv', data), 'not-empty');

    const data2 = join(dir, 'vol2');
    mkdirSync(data2);
    assert.equal(await copyUp(root, '/escape', data2), 'unsafe-source');
    assert.equal(await copyUp(root, '/missing/x', data2), 'no-source');
    assert.equal(await copyUp(root, '/srv/sub/f', data2), 'no-source');
  });

  test('volumeMounts reads named volumes from Binds and Mounts', () => {
    assert.deepEqual(
      volumeMounts({
        Binds: ['data:/data:ro', '/host:/h', 'seed:/s:nocopy'],
        Mounts: [
          { Type: 'volume', Source: 'm', Target: '/m' },
          { Type: 'bind', Source: '/x', Target: '/x' },
        ],
      }).map((m) => [m.name, m.destination, m.readOnly, m.noCopy]),
      [
        ['data', '/data', true, false],
        ['seed', '/s', false, true],
        ['m', '/m', false, false],
      ],
    );
  });
});
