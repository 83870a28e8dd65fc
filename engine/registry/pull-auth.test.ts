// Pulls from a docker-registry behind htpasswd basic auth and behind token
// auth with a token server in the test (issue 3, case 5).
import { strict as assert } from 'node:assert';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isWharfError } from '../errors.js';
import { isRoot } from '../testing/busybox.js';
import { MemoryAuthStore } from './auth.js';
import { RegistryClient } from './client.js';
import { pull } from './pull.js';
import { push } from './push.js';
import {
  haveRegistryTools,
  openStores,
  skopeoInspect,
  skopeoPush,
  startRegistry,
  startTokenServer,
  tarFiles,
  writeHtpasswd,
  writeOciLayout,
  type BuiltImage,
  type RunningRegistry,
} from './testing.js';

const skip = !isRoot() ? 'needs root (layer extraction)' : haveRegistryTools();
if (skip) console.log(`# skipping registry auth tests: ${skip}`);

const USERS = { alice: 'wonderland' };

async function fixture(work: string): Promise<BuiltImage> {
  const layout = join(work, 'layout');
  const l1 = await tarFiles({ 'hello.txt': 'hello\n' });
  const l2 = await tarFiles({ 'etc/secret': 'classified\n' });
  return (await writeOciLayout(layout, 'private', [{ layers: [l1, l2] }])).images[0]!;
}

describe('registry auth', { skip }, () => {
  let work: string;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'wharf-auth-test-'));
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  });

  async function stores(creds?: { username: string; password: string }, host?: string) {
    const dataRoot = await mkdtemp(join(tmpdir(), 'wharf-auth-data-'));
    const auth = new MemoryAuthStore();
    if (creds && host) await auth.set(host, creds);
    const client = new RegistryClient({ auth });
    cleanups.push(async () => {
      await client.close();
      await rm(dataRoot, { recursive: true, force: true });
    });
    return { client, auth, ...(await openStores(dataRoot)) };
  }

  async function assertNothingStored(deps: Awaited<ReturnType<typeof stores>>): Promise<void> {
    assert.deepEqual(await deps.images.list(), []);
    assert.deepEqual(await deps.layers.list(), []);
    assert.deepEqual(await readdir(join(deps.content.root, 'tmp')), []);
  }

  describe('HTTP basic (htpasswd)', () => {
    let reg: RunningRegistry;
    let img: BuiltImage;
    before(async () => {
      img = await fixture(work);
      const htpasswd = join(work, 'htpasswd');
      await writeHtpasswd(htpasswd, USERS);
      reg = await startRegistry({ htpasswd });
      cleanups.push(() => reg.stop());
      await skopeoPush(join(work, 'layout'), 'private', `${reg.host}/private/app:1`, {
        creds: 'alice:wonderland',
      });
    });

    it('fails clearly without credentials', async () => {
      const deps = await stores();
      await assert.rejects(pull(deps, `${reg.host}/private/app:1`), (e: unknown) => {
        assert.ok(isWharfError(e, 'REGISTRY_UNAUTHORIZED'), String(e));
        assert.match(e.message, /pull access denied for .*private\/app.*docker login/);
        return true;
      });
      await assertNothingStored(deps);
    });

    it('fails clearly with a wrong password', async () => {
      const deps = await stores({ username: 'alice', password: 'nope' }, reg.host);
      await assert.rejects(pull(deps, `${reg.host}/private/app:1`), (e: unknown) => {
        assert.ok(isWharfError(e, 'REGISTRY_UNAUTHORIZED'), String(e));
        assert.match(e.message, /denied for user alice/);
        return true;
      });
      await assertNothingStored(deps);
    });

    it('pulls and pushes with credentials', async () => {
      const deps = await stores({ username: 'alice', password: USERS.alice }, reg.host);
      const res = await pull(deps, `${reg.host}/private/app:1`);
      assert.equal(res.image.id, img.configDigest);
      assert.deepEqual(res.downloaded, img.layerDigests);
      await deps.images.tag(res.image.id, `${reg.host}/private/copy:2`);
      const pushed = await push(deps, `${reg.host}/private/copy:2`);
      assert.equal(pushed.digest, img.manifestDigest);
      const seen = await skopeoInspect(`${reg.host}/private/copy:2`, { creds: 'alice:wonderland' });
      assert.deepEqual(seen.Layers, img.layerDigests);
    });
  });

  describe('bearer tokens from a token server', () => {
    let reg: RunningRegistry;
    let img: BuiltImage;
    let tokens: Awaited<ReturnType<typeof startTokenServer>>;
    before(async () => {
      img = await fixture(work);
      tokens = await startTokenServer(work, USERS);
      cleanups.push(() => tokens.stop());
      reg = await startRegistry({ token: tokens.config });
      cleanups.push(() => reg.stop());
      await skopeoPush(join(work, 'layout'), 'private', `${reg.host}/private/tok:1`, {
        creds: 'alice:wonderland',
      });
    });

    it('fails clearly with an anonymous token', async () => {
      const deps = await stores();
      await assert.rejects(pull(deps, `${reg.host}/private/tok:1`), (e: unknown) => {
        assert.ok(isWharfError(e, 'REGISTRY_UNAUTHORIZED'), String(e));
        assert.match(e.message, /pull access denied for .*private\/tok/);
        return true;
      });
      await assertNothingStored(deps);
    });

    it('fails clearly when the token server refuses the password', async () => {
      const deps = await stores({ username: 'alice', password: 'wrong' }, reg.host);
      await assert.rejects(pull(deps, `${reg.host}/private/tok:1`), /incorrect username or password/);
      await assertNothingStored(deps);
    });

    it('pulls with credentials, one token per scope, cached across pulls', async () => {
      const deps = await stores({ username: 'alice', password: USERS.alice }, reg.host);
      const before = tokens.requests.length;
      const res = await pull(deps, `${reg.host}/private/tok:1`);
      assert.equal(res.image.id, img.configDigest);
      assert.equal(tokens.requests.length, before + 1);
      const q = new URLSearchParams(tokens.requests.at(-1)!);
      assert.equal(q.get('scope'), 'repository:private/tok:pull');
      assert.equal(q.get('service'), tokens.config.service);
      await pull(deps, `${reg.host}/private/tok:1`);
      assert.equal(tokens.requests.length, before + 1, 'the cached token was reused');

      // Push asks for pull,push on the target and pull on the mount source.
      await deps.images.tag(res.image.id, `${reg.host}/private/pushed:1`);
      const pushed = await push(deps, `${reg.host}/private/pushed:1`);
      assert.deepEqual(
        pushed.layers.map((l) => l.result),
        ['mounted', 'mounted'],
      );
      const scopes = tokens.requests.slice(before + 1).flatMap((r) => new URLSearchParams(r).getAll('scope'));
      assert.ok(scopes.includes('repository:private/pushed:pull,push'), scopes.join(' '));
      assert.ok(scopes.includes('repository:private/tok:pull'), scopes.join(' '));
      const seen = await skopeoInspect(`${reg.host}/private/pushed:1`, { creds: 'alice:wonderland' });
      assert.equal(seen.Digest, img.manifestDigest);
    });

    it('fails a push clearly without credentials', async () => {
      const deps = await stores({ username: 'alice', password: USERS.alice }, reg.host);
      const res = await pull(deps, `${reg.host}/private/tok:1`);
      await deps.auth.delete(reg.host);
      await deps.images.tag(res.image.id, `${reg.host}/private/anon:1`);
      await assert.rejects(push(deps, `${reg.host}/private/anon:1`), (e: unknown) =>
        isWharfError(e, 'REGISTRY_UNAUTHORIZED'),
      );
    });
  });
});
