// A registry that misbehaves (a tiny HTTP server in the test, since
// docker-registry never serves mismatched content): bad digests, malformed
// manifests, and blob redirects to another origin (issue 3, case 6).
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isWharfError } from '../errors.js';
import type { Digest } from '../images/index.js';
import { chainIDsOf } from '../storage/layers/index.js';
import { isRoot } from '../testing/busybox.js';
import { MemoryAuthStore } from './auth.js';
import { RegistryClient } from './client.js';
import { MediaType } from './manifest.js';
import { pull } from './pull.js';
import { haveRegistryTools, openStores, rawTar, sha256, tarFiles, type RawTarEntry } from './testing.js';

const skip = !isRoot() ? 'needs root (layer extraction)' : haveRegistryTools();
if (skip) console.log(`# skipping bad-registry tests: ${skip}`);

interface Route {
  status?: number;
  body: Buffer;
  headers?: Record<string, string>;
}

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; host: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return { server, host: `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` };
}

describe('pull from a misbehaving registry', { skip }, () => {
  const routes = new Map<string, Route>();
  const seen: { path: string; auth?: string }[] = [];
  const storageSeen: { path: string; auth?: string }[] = [];
  let registry: { server: Server; host: string };
  let storage: { server: Server; host: string };
  let requireAuth = false;
  let redirectBlobs = false;
  const cleanups: (() => Promise<void>)[] = [];

  // One good image: two layers and a config.
  let layers: Buffer[] = [];
  let config: Buffer;
  let manifest: Buffer;
  const blobs = new Map<string, Buffer>();

  before(async () => {
    const tars = [
      await tarFiles({ 'a.txt': 'a'.repeat(5000) }),
      await tarFiles({ 'b.txt': 'b'.repeat(300000) }),
    ];
    layers = tars.map((t) => gzipSync(t));
    config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Cmd: ['sh'] },
        rootfs: { type: 'layers', diff_ids: tars.map((t) => sha256(t)) },
      }),
    );
    manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: sha256(config), size: config.length },
        layers: layers.map((l) => ({ mediaType: MediaType.ociLayerGzip, digest: sha256(l), size: l.length })),
      }),
    );
    for (const b of [config, ...layers]) blobs.set(sha256(b), b);

    storage = await listen((req, res) => {
      storageSeen.push({ path: req.url ?? '', auth: req.headers.authorization });
      const blob = blobs.get((req.url ?? '').slice('/blob/'.length));
      if (!blob) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': String(blob.length) }).end(blob);
    });
    registry = await listen((req, res) => {
      const path = req.url ?? '';
      seen.push({ path, auth: req.headers.authorization });
      if (requireAuth && req.headers.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
        return;
      }
      if (path === '/v2/') return void res.writeHead(200).end('{}');
      const m = /^\/v2\/test\/img\/(manifests|blobs)\/(.+)$/.exec(path);
      if (m?.[1] === 'blobs' && redirectBlobs) {
        res.writeHead(307, { location: `http://${storage.host}/blob/${m[2]}` }).end();
        return;
      }
      const route: Route | undefined =
        routes.get(path) ??
        (m?.[1] === 'blobs' && blobs.has(m[2]!) ? { body: blobs.get(m[2]!)! } : undefined);
      if (!route?.body)
        return void res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
      res.writeHead(route.status ?? 200, { 'content-length': String(route.body.length), ...route.headers });
      res.end(req.method === 'HEAD' ? undefined : route.body);
    });
    cleanups.push(() => new Promise((r) => registry.server.close(() => r())));
    cleanups.push(() => new Promise((r) => storage.server.close(() => r())));
  });

  beforeEach(() => {
    routes.clear();
    requireAuth = false;
    redirectBlobs = false;
    routes.set('/v2/test/img/manifests/good', {
      body: manifest,
      headers: { 'content-type': MediaType.ociManifest },
    });
    for (const b of [config, ...layers]) blobs.set(sha256(b), b);
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  async function stores(auth?: MemoryAuthStore) {
    const dataRoot = await mkdtemp(join(tmpdir(), 'wharf-bad-reg-'));
    const client = new RegistryClient({ auth });
    cleanups.push(async () => {
      await client.close();
      await rm(dataRoot, { recursive: true, force: true });
    });
    return { client, dataRoot, ...(await openStores(dataRoot)) };
  }

  /** Nothing half-written anywhere; no image. */
  async function assertClean(deps: Awaited<ReturnType<typeof stores>>): Promise<void> {
    assert.deepEqual(await deps.images.list(), []);
    assert.deepEqual(await readdir(join(deps.content.root, 'tmp')), []);
    assert.deepEqual(await readdir(join(deps.layers.root, 'tmp')), []);
  }

  it('pulls the good image (the server works)', async () => {
    const deps = await stores();
    const res = await pull(deps, `${registry.host}/test/img:good`);
    assert.equal(res.image.id, sha256(config));
  });

  it('fails on a layer whose bytes do not match its digest, keeping nothing of it', async () => {
    const deps = await stores();
    const bad = Buffer.from(layers[1]!);
    bad[Math.floor(bad.length / 2)]! ^= 0xff; // same size, one byte flipped
    blobs.set(sha256(layers[1]!), bad);
    await assert.rejects(pull(deps, `${registry.host}/test/img:good`), (e: unknown) => {
      assert.ok(isWharfError(e, 'DIGEST_MISMATCH'), String(e));
      assert.match(e.message, new RegExp(`layer ${sha256(layers[1]!).slice(7, 19)}.*content has digest`));
      return true;
    });
    await assertClean(deps);
    assert.equal(await deps.content.has(sha256(layers[1]!)), false);
    const chain = deps.layers.chainID(
      deps.layers.chainID(null, JSON.parse(config.toString()).rootfs.diff_ids[0]),
      JSON.parse(config.toString()).rootfs.diff_ids[1],
    );
    assert.equal(await deps.layers.has(chain), false);
    // The next pull, from a healthy registry, completes.
    blobs.set(sha256(layers[1]!), layers[1]!);
    await pull(deps, `${registry.host}/test/img:good`);
    assert.equal(await deps.layers.has(chain), true);
  });

  it('reports a corrupt layer extracted while downloading (tee) as a digest mismatch', async () => {
    const deps = await stores();
    const bad = Buffer.from(layers[0]!);
    bad[Math.floor(bad.length / 2)]! ^= 0xff;
    blobs.set(sha256(layers[0]!), bad);
    await assert.rejects(pull(deps, `${registry.host}/test/img:good`, { mode: 'tee' }), (e: unknown) => {
      assert.ok(isWharfError(e, 'DIGEST_MISMATCH'), String(e));
      return true;
    });
    await assertClean(deps);
    // Nothing of the corrupt layer. Layers above it extract alongside (pull
    // does not wait for the one below) and may have completed: they stay,
    // whole and unreferenced, for the next pull (reconcileStores removes
    // them at start if none comes).
    const diffIDs = (JSON.parse(config.toString()) as { rootfs: { diff_ids: Digest[] } }).rootfs.diff_ids;
    const chains = chainIDsOf(diffIDs);
    assert.equal(await deps.layers.has(chains[0]!), false);
    for (const l of await deps.layers.list()) assert.ok(chains.slice(1).includes(l.chainID), l.chainID);
    assert.equal(await deps.content.has(sha256(layers[0]!)), false);
  });

  it('fails on a layer that is shorter than its descriptor says', async () => {
    const deps = await stores();
    blobs.set(sha256(layers[0]!), layers[0]!.subarray(0, 100));
    await assert.rejects(pull(deps, `${registry.host}/test/img:good`), (e: unknown) =>
      isWharfError(e, 'DIGEST_MISMATCH'),
    );
    await assertClean(deps);
    assert.deepEqual(await deps.layers.list(), []);
  });

  it('fails on a config that does not match its digest', async () => {
    const deps = await stores();
    blobs.set(sha256(config), Buffer.from(config.toString().replace('amd64', 'AMD64')));
    await assert.rejects(pull(deps, `${registry.host}/test/img:good`), (e: unknown) =>
      isWharfError(e, 'DIGEST_MISMATCH'),
    );
    await assertClean(deps);
    assert.deepEqual(await deps.content.list(), []);
  });

  it('fails on a manifest fetched by digest whose bytes differ', async () => {
    const deps = await stores();
    const want = sha256('some other manifest');
    routes.set(`/v2/test/img/manifests/${want}`, {
      body: manifest,
      headers: { 'content-type': MediaType.ociManifest },
    });
    await assert.rejects(pull(deps, `${registry.host}/test/img@${want}`), (e: unknown) => {
      assert.ok(isWharfError(e, 'DIGEST_MISMATCH'), String(e));
      assert.match(e.message, /manifest sha256:[0-9a-f]+ has digest/);
      return true;
    });
    await assertClean(deps);
    assert.deepEqual(await deps.content.list(), []);
  });

  it("fails when a tag's manifest does not match the registry's Docker-Content-Digest", async () => {
    const deps = await stores();
    routes.set('/v2/test/img/manifests/liar', {
      body: manifest,
      headers: { 'content-type': MediaType.ociManifest, 'docker-content-digest': sha256('x') },
    });
    await assert.rejects(pull(deps, `${registry.host}/test/img:liar`), /registry says sha256:.* content has/);
    await assertClean(deps);
  });

  const malformed: [string, () => Route, RegExp][] = [
    [
      'truncated JSON',
      () => ({
        body: manifest.subarray(0, manifest.length - 10),
        headers: { 'content-type': MediaType.ociManifest },
      }),
      /not valid JSON/,
    ],
    [
      'a mediaType that contradicts Content-Type',
      () => ({ body: manifest, headers: { 'content-type': MediaType.dockerManifest } }),
      /does not match the Content-Type/,
    ],
    [
      'both layers and manifests',
      () => ({
        body: Buffer.from(JSON.stringify({ ...JSON.parse(manifest.toString()), manifests: [] })),
        headers: { 'content-type': MediaType.ociManifest },
      }),
      /both "layers" and "manifests"/,
    ],
    [
      'a manifest over 4 MiB',
      () => ({
        body: Buffer.alloc(4 * 1024 * 1024 + 10, 0x20),
        headers: { 'content-type': MediaType.ociManifest },
      }),
      /over the 4194304 byte limit/,
    ],
  ];
  for (const [what, route, message] of malformed) {
    it(`rejects ${what}`, async () => {
      const deps = await stores();
      routes.set('/v2/test/img/manifests/bad', route());
      await assert.rejects(pull(deps, `${registry.host}/test/img:bad`), (e: unknown) => {
        assert.ok(isWharfError(e, 'MANIFEST_INVALID'), String(e));
        assert.match(e.message, message);
        return true;
      });
      await assertClean(deps);
    });
  }

  const hostile: [string, RawTarEntry[]][] = [
    ['a path with ..', [{ name: '../../escaped-dotdot', data: 'x' }]],
    ['an absolute path', [{ name: '/tmp/escaped-absolute', data: 'x' }]],
    [
      'a symlink used as a directory prefix',
      [
        { name: 'link', type: '2', linkname: '/tmp' },
        { name: 'link/escaped-symlink', data: 'x' },
      ],
    ],
    ['a hard link to a file outside', [{ name: 'passwd', type: '1', linkname: '../../../../etc/passwd' }]],
  ];
  for (const [n, [what, entries]] of hostile.entries()) {
    const mode = n % 2 === 0 ? 'tee' : 'store';
    it(`fails on a hostile layer (${what}, ${mode} mode) and writes nothing outside`, async () => {
      const deps = await stores();
      const tar = rawTar([{ name: 'ok.txt', data: 'fine' }, ...entries]);
      const gz = gzipSync(tar);
      const cfg = Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
        }),
      );
      const man = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ociManifest,
          config: { mediaType: MediaType.ociConfig, digest: sha256(cfg), size: cfg.length },
          layers: [{ mediaType: MediaType.ociLayerGzip, digest: sha256(gz), size: gz.length }],
        }),
      );
      blobs.set(sha256(gz), gz);
      blobs.set(sha256(cfg), cfg);
      routes.set('/v2/test/img/manifests/hostile', {
        body: man,
        headers: { 'content-type': MediaType.ociManifest },
      });
      await assert.rejects(pull(deps, `${registry.host}/test/img:hostile`, { mode }), (e: unknown) => {
        assert.ok(isWharfError(e), String(e));
        assert.notEqual(e.code, 'DIGEST_MISMATCH');
        return true;
      });
      await assertClean(deps);
      assert.deepEqual(await deps.layers.list(), []);
      assert.equal(await deps.content.has(sha256(gz)), false, 'the unusable blob is not kept');
      for (const p of [
        '/tmp/escaped-absolute',
        '/tmp/escaped-symlink',
        join(deps.dataRoot, '..', 'escaped-dotdot'),
      ]) {
        assert.equal(existsSync(p), false, p);
      }
      assert.notEqual(readFileSync('/etc/passwd', 'utf8'), '');
    });
  }

  it('follows blob redirects to another origin without sending credentials there', async () => {
    const auth = new MemoryAuthStore();
    await auth.set(registry.host, { username: 'u', password: 'p' });
    const deps = await stores(auth);
    requireAuth = true;
    redirectBlobs = true;
    seen.length = 0;
    storageSeen.length = 0;
    const res = await pull(deps, `${registry.host}/test/img:good`);
    assert.equal(res.image.id, sha256(config));
    assert.equal(storageSeen.length, 3);
    assert.ok(
      storageSeen.every((r) => r.auth === undefined),
      'no Authorization to the storage origin',
    );
    assert.ok(seen.some((r) => r.path.includes('/blobs/') && r.auth?.startsWith('Basic ')));
  });

  it('refuses a plain-http token realm for a registry that must use TLS', async () => {
    await using client = new RegistryClient();
    await assert.rejects(
      client.authorize(
        { url: 'https://reg.example', registry: 'reg.example', insecure: false, mirror: false },
        [{ scheme: 'bearer', params: { realm: 'http://auth.example/token', service: 's' } }],
        ['repository:x:pull'],
      ),
      /token realm http:\/\/auth.example of reg.example must use https/,
    );
  });

  it('digests are verified for every blob it stores', async () => {
    const d: Digest = sha256(manifest);
    const deps = await stores();
    routes.set(`/v2/test/img/manifests/${d}`, {
      body: manifest,
      headers: { 'content-type': MediaType.ociManifest },
    });
    const res = await pull(deps, `${registry.host}/test/img@${d}`);
    assert.equal(res.digest, d);
    assert.equal(await deps.content.has(d), true);
  });
});
