// Images through the docker CLI (issue 4, "What must be shown" 2 and 7):
// push to and pull from a local registry with per-layer progress, images,
// history, tag, rmi (untag vs delete, conflict), save | load,
// export | import, commit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  haveRegistryTools,
  startRegistry,
  writeHtpasswd,
  type RunningRegistry,
} from '../registry/testing.js';
import { leaks, skipReason, startTestDaemon, uniqueName, type TestDaemon } from './testing.js';

const skip = skipReason() ?? haveRegistryTools();
if (skip) console.log(`# skipping API image tests: ${skip}`);

describe('images through the docker CLI', { skip }, () => {
  let d: TestDaemon;
  let reg: RunningRegistry;
  const ids: string[] = [];
  before(async () => {
    d = await startTestDaemon('img');
    reg = await startRegistry();
  });
  after(async () => {
    await reg?.stop();
    await d.cleanup();
    assert.deepEqual(leaks(d.dir, ids), []);
  });

  test('push, rmi, pull with per-layer progress; images, history, tag', () => {
    const repo = `${reg.host}/wharf/bb-${uniqueName('r')}`;
    d.dockerOk(['tag', 'busybox', `${repo}:v1`]);
    const pushed = d.dockerOk(['push', `${repo}:v1`]);
    assert.match(pushed, new RegExp(`The push refers to repository \\[${repo.replace(/\./g, '\\.')}\\]`));
    assert.match(pushed, /v1: digest: sha256:[0-9a-f]{64} size: \d+/);
    const untag = d.dockerOk(['rmi', `${repo}:v1`]);
    assert.match(untag, new RegExp(`Untagged: ${repo.replace(/\./g, '\\.')}:v1`));
    assert.doesNotMatch(untag, /Deleted/, 'busybox still tags the image: untag only');
    // Delete the image altogether so the pull downloads every layer.
    const deleted = d.dockerOk(['rmi', 'busybox']);
    assert.match(deleted, /Untagged: busybox:latest\nDeleted: sha256:[0-9a-f]{64}/);
    const pulled = d.dockerOk(['pull', `${repo}:v1`]);
    assert.match(pulled, /[0-9a-f]{12}: Pull complete/);
    d.dockerOk(['tag', `${repo}:v1`, 'busybox:latest']);
    // Docker prints the repository path without the registry.
    assert.match(pulled, new RegExp(`v1: Pulling from ${repo.slice(repo.indexOf('/') + 1)}\n`));
    assert.match(pulled, /Digest: sha256:[0-9a-f]{64}/);
    assert.match(pulled, /Status: Downloaded newer image for /);
    const images = d.dockerOk(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
    assert.match(images, /^busybox:latest [0-9a-f]{12}$/m);
    assert.match(images, new RegExp(`^${repo.replace(/\./g, '\\.')}:v1 [0-9a-f]{12}$`, 'm'));
    const hist = d.dockerOk(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'busybox']);
    assert.match(hist, /ADD busybox \//);
    // in use by a container: rmi -f of a multi-tagged image, and plain rmi
    const name = uniqueName('user');
    d.dockerOk(['create', '--name', name, 'busybox', 'true']);
    ids.push(d.dockerOk(['inspect', '-f', '{{.Id}}', name]).trim());
    const conflict = d.docker(['rmi', d.dockerOk(['inspect', '-f', '{{.Id}}', 'busybox']).trim()]);
    assert.notEqual(conflict.status, 0);
    assert.match(
      conflict.stderr,
      /conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is referenced in multiple repositories|conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is being used by stopped container [0-9a-f]{12}/,
    );
    d.dockerOk(['rm', name]);
    d.dockerOk(['rmi', `${repo}:v1`]);
  });

  test('docker login checks the credentials; push and pull use them', async () => {
    const htpasswd = join(d.dir, 'htpasswd');
    await writeHtpasswd(htpasswd, { alice: 's3cret' });
    const secured = await startRegistry({ htpasswd });
    try {
      const bad = d.docker(['login', '-u', 'alice', '--password-stdin', secured.host], { input: 'wrong\n' });
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /401 Unauthorized/);
      const good = d.docker(['login', '-u', 'alice', '--password-stdin', secured.host], {
        input: 's3cret\n',
      });
      assert.equal(good.status, 0, good.stderr);
      assert.match(good.stdout, /Login Succeeded/);
      const repo = `${secured.host}/alice/bb`;
      d.dockerOk(['tag', 'busybox', repo]);
      assert.match(d.dockerOk(['push', repo]), /latest: digest: sha256:/);
      d.dockerOk(['rmi', repo]);
      assert.match(d.dockerOk(['pull', repo]), /Digest: sha256:/);
      d.dockerOk(['rmi', repo]);
    } finally {
      await secured.stop();
    }
  });

  test('save | load, export | import, commit', () => {
    const tarFile = join(d.dir, 'save.tar');
    d.dockerOk(['tag', 'busybox', 'saved:one']);
    d.dockerOk(['save', '-o', tarFile, 'saved:one']);
    d.dockerOk(['rmi', 'saved:one']);
    const loaded = d.dockerOk(['load', '-i', tarFile]);
    assert.match(loaded, /Loaded image: saved:one/);
    const name = uniqueName('cm');
    d.dockerOk(['run', '--name', name, 'busybox', 'sh', '-c', 'echo committed > /marker']);
    ids.push(d.dockerOk(['inspect', '-f', '{{.Id}}', name]).trim());
    d.dockerOk(['commit', '-c', 'CMD ["cat","/marker"]', name, 'committed:v1']);
    assert.equal(d.dockerOk(['run', '--rm', 'committed:v1']), 'committed\n');
    const exported = spawnSync('sh', ['-c', `docker export ${name} | docker import - imported:v1`], {
      env: d.env,
      encoding: 'utf8',
    });
    assert.equal(exported.status, 0, exported.stderr);
    assert.equal(d.dockerOk(['run', '--rm', 'imported:v1', 'cat', '/marker']), 'committed\n');
    d.dockerOk(['rm', name]);
    d.dockerOk(['rmi', 'committed:v1', 'imported:v1', 'saved:one']);
  });
});
