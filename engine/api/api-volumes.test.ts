// Named and anonymous volumes through the real docker CLI: docker volume
// create/ls/inspect/rm/prune, data shared between containers, Docker's
// in-use message, copy-up from the image, anonymous volumes removed with
// --rm and rm -v, system df and volume events.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { leaks, skipReason, startTestDaemon, uniqueName, type TestDaemon } from './testing.js';

const skip = skipReason();
if (skip) console.log(`# skipping docker volume tests: ${skip}`);

describe('docker volume against wharf daemon', { skip }, () => {
  let d: TestDaemon;
  const ids: string[] = [];
  before(async () => {
    d = await startTestDaemon('vol');
  });
  after(async () => {
    await d.cleanup();
    assert.deepEqual(leaks(d.dir, ids), []);
  });

  /** Volume cleanup after a container's removal runs right after its destroy event. */
  const until = async (ok: () => boolean): Promise<void> => {
    for (let i = 0; i < 50 && !ok(); i++) await new Promise((r) => setTimeout(r, 100));
  };

  const volumes = (): string[] => d.dockerOk(['volume', 'ls', '-q']).split('\n').filter(Boolean).sort();

  test('create, ls, inspect, rm with Docker shapes and messages', () => {
    const name = uniqueName('v');
    assert.equal(d.dockerOk(['volume', 'create', '--label', 'team=a', name]).trim(), name);
    const [v] = JSON.parse(d.dockerOk(['volume', 'inspect', name])) as Array<Record<string, unknown>>;
    assert.equal(v?.Name, name);
    assert.equal(v?.Driver, 'local');
    assert.equal(v?.Scope, 'local');
    assert.deepEqual(v?.Labels, { team: 'a' });
    assert.equal(v?.Mountpoint, join(d.dataRoot, 'volumes', name, '_data'));
    assert.ok(existsSync(join(d.dataRoot, 'volumes', name, '_data')));
    assert.match(String(v?.CreatedAt), /^\d{4}-\d\d-\d\dT/);
    // Creating again returns the same volume.
    assert.equal(d.dockerOk(['volume', 'create', name]).trim(), name);
    assert.ok(volumes().includes(name));
    assert.equal(d.dockerOk(['volume', 'ls', '-q', '--filter', 'label=team=a']).trim(), name);
    assert.equal(d.dockerOk(['volume', 'ls', '-q', '--filter', 'label=team=b']).trim(), '');
    assert.equal(d.dockerOk(['volume', 'ls', '-q', '--filter', `name=${name.slice(0, 6)}`]).trim(), name);

    const bad = d.docker(['volume', 'create', 'a']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /create a: volume name is too short, names should be at least two alphanumeric/);
    const bad2 = d.docker(['volume', 'create', 'no/slash']);
    assert.match(bad2.stderr, /"no\/slash" includes invalid characters for a local volume name/);

    d.dockerOk(['volume', 'rm', name]);
    assert.ok(!volumes().includes(name));
    assert.ok(!existsSync(join(d.dataRoot, 'volumes', name)));
    const missing = d.docker(['volume', 'inspect', name]);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /no such volume/);
    d.dockerOk(['volume', 'rm', '-f', name]);
  });

  test('data written by one container is read by the next; rm of an in-use volume fails', async () => {
    const vol = uniqueName('data');
    const writer = uniqueName('w');
    d.dockerOk(['run', '--name', writer, '-v', `${vol}:/data`, 'busybox', 'sh', '-c', 'echo hi > /data/f']);
    ids.push(d.dockerOk(['inspect', '-f', '{{.Id}}', writer]).trim());
    assert.equal(d.dockerOk(['run', '--rm', '-v', `${vol}:/data:ro`, 'busybox', 'cat', '/data/f']), 'hi\n');
    const ro = d.docker(['run', '--rm', '-v', `${vol}:/data:ro`, 'busybox', 'sh', '-c', 'echo x > /data/g']);
    assert.notEqual(ro.status, 0);

    const mounts = JSON.parse(d.dockerOk(['inspect', '-f', '{{json .Mounts}}', writer])) as Array<
      Record<string, unknown>
    >;
    assert.equal(mounts[0]?.Type, 'volume');
    assert.equal(mounts[0]?.Name, vol);
    assert.equal(mounts[0]?.Destination, '/data');

    assert.equal(d.dockerOk(['ps', '-aq', '--no-trunc', '--filter', `volume=${vol}`]).trim(), ids.at(-1));
    const rm = d.docker(['volume', 'rm', vol]);
    assert.notEqual(rm.status, 0);
    assert.match(rm.stderr, new RegExp(`remove ${vol}: volume is in use - \\[${ids.at(-1)}\\]`));
    const res = await d.http('DELETE', `/v1.50/volumes/${vol}`);
    assert.equal(res.status, 409);

    const df = JSON.parse(d.dockerOk(['system', 'df', '-v', '--format', '{{json .Volumes}}'])) as Array<
      Record<string, unknown>
    >;
    const row = df.find((r) => r.Name === vol);
    assert.ok(row, `system df lists ${vol}`);
    assert.equal(String(row.Links), '1');
    assert.equal(d.dockerOk(['volume', 'ls', '-q', '--filter', 'dangling=true']).includes(vol), false);

    d.dockerOk(['rm', writer]);
    assert.ok(d.dockerOk(['volume', 'ls', '-q', '--filter', 'dangling=true']).includes(vol));
    d.dockerOk(['volume', 'rm', vol]);
  });

  test('a new volume starts with the image content at its path (copy-up)', () => {
    const vol = uniqueName('seed');
    const out = d.dockerOk(['run', '--rm', '-v', `${vol}:/usr/bin`, 'busybox', 'sh', '-c', 'ls /usr/bin']);
    assert.ok(out.split('\n').length > 5, out);
    // Symlinks are copied as symlinks, not followed.
    const link = d.dockerOk([
      'run',
      '--rm',
      '-v',
      `${vol}:/seed`,
      'busybox',
      'sh',
      '-c',
      'readlink /seed/env',
    ]);
    assert.equal(link.trim(), '/bin/busybox');
    d.dockerOk(['volume', 'rm', vol]);
  });

  test('anonymous volumes: gone after run --rm and rm -v; prune removes unused ones', async () => {
    const before = volumes();
    d.dockerOk(['run', '--rm', '-v', '/anon', 'busybox', 'sh', '-c', 'echo x > /anon/f']);
    await until(() => volumes().length === before.length);
    assert.deepEqual(volumes(), before);

    const name = uniqueName('anon');
    d.dockerOk(['create', '--name', name, '-v', '/anon', 'busybox', 'true']);
    ids.push(d.dockerOk(['inspect', '-f', '{{.Id}}', name]).trim());
    const added = volumes().filter((v) => !before.includes(v));
    assert.equal(added.length, 1);
    assert.match(added[0]!, /^[0-9a-f]{64}$/);
    d.dockerOk(['rm', '-v', name]);
    await until(() => volumes().length === before.length);
    assert.deepEqual(volumes(), before);

    // prune: anonymous only by default (API >= 1.42), named too with --all.
    const named = uniqueName('keep');
    d.dockerOk(['volume', 'create', named]);
    const other = uniqueName('anon');
    d.dockerOk(['create', '--name', other, '-v', '/anon', 'busybox', 'true']);
    d.dockerOk(['rm', other]);
    assert.equal(volumes().length, before.length + 2);
    const pruned = d.dockerOk(['volume', 'prune', '-f']);
    assert.match(pruned, /Total reclaimed space/);
    assert.deepEqual(volumes(), [...before, named].sort());
    d.dockerOk(['volume', 'prune', '-af']);
    assert.ok(!volumes().includes(named));
  });

  test('volume events: create, mount, unmount, destroy', async () => {
    const vol = uniqueName('ev');
    const since = Math.floor(Date.now() / 1000) - 1;
    d.dockerOk(['run', '--rm', '-v', `${vol}:/x`, 'busybox', 'true']);
    d.dockerOk(['volume', 'rm', vol]);
    const to = Math.floor(Date.now() / 1000) + 1;
    const out = d.dockerOk([
      'events',
      '--since',
      String(since),
      '--until',
      String(to),
      '--filter',
      'type=volume',
      '--format',
      '{{.Action}} {{.Actor.ID}}',
    ]);
    const mine = out
      .split('\n')
      .filter((l) => l.endsWith(` ${vol}`))
      .map((l) => l.split(' ')[0]);
    assert.deepEqual(mine, ['create', 'mount', 'unmount', 'destroy']);
  });
});
