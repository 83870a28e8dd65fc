// Images through the docker CLI (issue 4, "What must be shown" 2 and 7):
// push to and pull from a local registry with per-layer progress, images,
// history, tag, rmi (untag vs delete, conflict), save | load,
// export | import, commit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { haveRegistryTools, startRegistry, type RunningRegistry } from '../registry/testing.js';
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
    const pulled = d.dockerOk(['pull', `${repo}:v1`]);
    assert.match(pulled, /v1: Pulling from (\S+\/)?wharf\/bb-/);
    assert.match(pulled, /Digest: sha256:[0-9a-f]{64}/);
    assert.match(pulled, /Status: (Downloaded newer image|Image is up to date) for /);
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
    assert.match(conflict.stderr, /conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is referenced in multiple repositories|conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is being used by stopped container [0-9a-f]{12}/);
    d.dockerOk(['rm', name]);
    d.dockerOk(['rmi', `${repo}:v1`]);
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
    const exported = spawnSync('sh', ['-c', `docker export ${name} | docker import - imported:v1`], { env: d.env, encoding: 'utf8' });
    assert.equal(exported.status, 0, exported.stderr);
    assert.equal(d.dockerOk(['run', '--rm', 'imported:v1', 'cat', '/marker']), 'committed\n');
    d.dockerOk(['rm', name]);
    d.dockerOk(['rmi', 'committed:v1', 'imported:v1', 'saved:one']);
  });
});
