// The container filesystem over the API: docker cp both ways (file and
// directory, created-but-never-started containers, symlinks that point out
// of the container stay inside it), docker diff, docker export.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { skipReason, useTestDaemon, uniqueName, type TestDaemon } from './testing.js';

const skip = skipReason();
if (skip) console.log(`# skipping API filesystem tests: ${skip}`);

describe('container filesystem through the API', { skip }, () => {
  const fixture = useTestDaemon('fs');
  let d: TestDaemon;
  before(() => {
    d = fixture.daemon();
  });

  test('docker cp in and out, files and directories, and docker diff', () => {
    const name = uniqueName('cp');
    d.dockerOk(['run', '-d', '--name', name, 'busybox', 'sleep', '1000']);
    const id = fixture.idOf(name);
    const src = join(d.dir, 'src');
    mkdirSync(join(src, 'dir/sub'), { recursive: true });
    writeFileSync(join(src, 'file.txt'), 'one file\n');
    writeFileSync(join(src, 'dir/sub/deep.txt'), 'deep\n');
    d.dockerOk(['cp', join(src, 'file.txt'), `${name}:/tmp/`]);
    d.dockerOk(['cp', join(src, 'dir'), `${name}:/tmp/`]);
    assert.equal(
      d.dockerOk(['exec', name, 'cat', '/tmp/file.txt', '/tmp/dir/sub/deep.txt']),
      'one file\ndeep\n',
    );
    d.dockerOk([
      'exec',
      name,
      'sh',
      '-c',
      'mkdir /out && echo made > /out/m.txt && ln -s /etc/passwd /out/link && rm /bin/vi',
    ]);
    const dest = join(d.dir, 'dest');
    mkdirSync(dest);
    d.dockerOk(['cp', `${name}:/out`, dest]);
    assert.equal(readFileSync(join(dest, 'out/m.txt'), 'utf8'), 'made\n');
    d.dockerOk(['cp', `${name}:/etc/hostname`, join(dest, 'hostname')]);
    assert.equal(readFileSync(join(dest, 'hostname'), 'utf8').trim(), id.slice(0, 12));
    const missing = d.docker(['cp', `${name}:/nope`, dest]);
    assert.match(missing.stderr, /Could not find the file \/nope in container/);
    const diff = d.dockerOk(['diff', name]).split('\n');
    for (const line of ['A /out', 'A /out/m.txt', 'D /bin/vi', 'A /tmp/file.txt'])
      assert.ok(diff.includes(line), `${line} in ${diff.join(',')}`);
    d.dockerOk(['rm', '-f', name]);
  });

  test('a symlink to / inside the container is resolved inside it, never on the host', () => {
    const name = uniqueName('esc');
    d.runShDetached(
      name,
      'mkdir -p /jail && ln -s / /jail/up && ln -s ../../../../.. /jail/dots && sleep 1000',
    );
    fixture.idOf(name);
    const marker = `wharf-escape-${Date.now()}`;
    writeFileSync(join(d.dir, marker), 'x');
    d.dockerOk(['cp', join(d.dir, marker), `${name}:/jail/up/tmp/`]);
    d.dockerOk(['cp', join(d.dir, marker), `${name}:/jail/dots/`]);
    assert.equal(
      d
        .dockerOk(['exec', name, 'ls', `/tmp/${marker}`, `/${marker}`])
        .trim()
        .split('\n').length,
      2,
    );
    assert.ok(!existsSync(`/tmp/${marker}`) && !existsSync(`/${marker}`), 'nothing landed on the host');
    d.dockerOk(['rm', '-f', name]);
  });

  test('cp into and out of a created, never started container; docker export', () => {
    const name = uniqueName('created');
    d.dockerOk(['create', '--name', name, 'busybox', 'true']);
    fixture.idOf(name);
    writeFileSync(join(d.dir, 'c.txt'), 'created\n');
    d.dockerOk(['cp', join(d.dir, 'c.txt'), `${name}:/c.txt`]);
    d.dockerOk(['cp', `${name}:/c.txt`, join(d.dir, 'back.txt')]);
    assert.equal(readFileSync(join(d.dir, 'back.txt'), 'utf8'), 'created\n');
    const tarFile = join(d.dir, 'export.tar');
    d.dockerOk(['export', '-o', tarFile, name]);
    const names = execFileSync('tar', ['-tf', tarFile], { encoding: 'utf8' }).split('\n');
    assert.ok(
      names.some((n) => /^(\.\/)?bin\/busybox$/.test(n)),
      'busybox in export',
    );
    assert.ok(
      names.some((n) => /^(\.\/)?c\.txt$/.test(n)),
      'copied file in export',
    );
    d.dockerOk(['rm', name]);
  });
});
