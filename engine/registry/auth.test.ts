import { strict as assert } from 'node:assert';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileAuthStore, parseChallenges } from './auth.js';
import { RegistryClient } from './client.js';

describe('parseChallenges', () => {
  it('parses a bearer challenge', () => {
    const c = parseChallenges(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
    );
    assert.deepEqual(c, [
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/busybox:pull',
        },
      },
    ]);
  });

  it('parses several challenges and escapes', () => {
    const c = parseChallenges('Basic realm="a \\"b\\"", Bearer realm=x,service=y');
    assert.equal(c.length, 2);
    assert.equal(c[0]!.params.realm, 'a "b"');
    assert.deepEqual(c[1], { scheme: 'bearer', params: { realm: 'x', service: 'y' } });
  });
});

describe('FileAuthStore', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('stores credentials per registry with mode 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-auth-'));
    dirs.push(dir);
    const store = new FileAuthStore(dir);
    await store.set('https://index.docker.io/v1/', { username: 'u', password: 'p:x' });
    await store.set('localhost:5000', { username: 'a', password: 'b' });
    assert.deepEqual(await store.get('docker.io'), { username: 'u', password: 'p:x' });
    assert.deepEqual(await new FileAuthStore(dir).get('localhost:5000'), { username: 'a', password: 'b' });
    assert.equal((await stat(store.file)).mode & 0o777, 0o600);
    await store.delete('docker.io');
    assert.equal(await store.get('docker.io'), undefined);
    assert.deepEqual(await store.list(), ['localhost:5000']);
  });
});

describe('RegistryClient policy', () => {
  it('allows plain http only for loopback and configured registries', async () => {
    await using c = new RegistryClient({ insecureRegistries: ['my.reg:5000', '10.1.0.0/16'] });
    assert.equal(c.isInsecure('127.0.0.1:5000'), true);
    assert.equal(c.isInsecure('127.9.9.9'), true);
    assert.equal(c.isInsecure('localhost:1234'), true);
    assert.equal(c.isInsecure('[::1]:5000'), true);
    assert.equal(c.isInsecure('my.reg:5000'), true);
    assert.equal(c.isInsecure('10.1.2.3:5000'), true);
    assert.equal(c.isInsecure('10.2.0.1:5000'), false);
    assert.equal(c.isInsecure('registry.example.com'), false);
    assert.equal(c.isInsecure('128.0.0.1'), false);
  });

  it('tries docker.io mirrors first', async () => {
    await using c = new RegistryClient({ mirrors: ['https://mirror.example'] });
    assert.deepEqual(
      c.endpoints('docker.io').map((e) => [e.url, e.mirror]),
      [
        ['https://mirror.example', true],
        ['https://registry-1.docker.io', false],
      ],
    );
    assert.equal(c.endpoints('quay.io')[0]!.url, 'https://quay.io');
  });
});
