import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { isWharfError } from '../errors.js';
import type { Digest } from '../images/index.js';
import { MAX_MANIFEST_SIZE, MediaType, parseManifest, selectPlatform, type ImageIndex } from './manifest.js';

const d = (s: string): Digest => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const desc = (s: string, mediaType: string = MediaType.ociLayerGzip) => ({
  mediaType,
  digest: d(s),
  size: 10,
});

const manifest = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.dockerManifest,
    config: desc('cfg', MediaType.dockerConfig),
    layers: [desc('l1', MediaType.dockerLayerGzip)],
  }),
);

function index(entries: { architecture: string; os: string; variant?: string }[]): ImageIndex {
  const m = parseManifest(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: entries.map((p, i) => ({ ...desc(`m${i}`, MediaType.ociManifest), platform: p })),
      }),
    ),
    MediaType.ociIndex,
  );
  assert.equal(m.kind, 'index');
  return m as ImageIndex;
}

describe('parseManifest', () => {
  it('parses a schema2 manifest and checks its digest', () => {
    const m = parseManifest(manifest, MediaType.dockerManifest, d(manifest.toString()));
    assert.equal(m.kind, 'manifest');
    assert.equal(m.kind === 'manifest' && m.layers.length, 1);
  });

  it('rejects bytes that do not match the digest', () => {
    assert.throws(
      () => parseManifest(manifest, MediaType.dockerManifest, d('other')),
      (e: unknown) => isWharfError(e, 'DIGEST_MISMATCH') && /manifest has digest/.test(e.message),
    );
  });

  it('rejects manifests over 4 MiB', () => {
    const big = Buffer.alloc(MAX_MANIFEST_SIZE + 1, 0x20);
    assert.throws(() => parseManifest(big, MediaType.ociManifest), /over the 4194304 byte limit/);
  });

  it('rejects truncated JSON', () => {
    assert.throws(
      () => parseManifest(manifest.subarray(0, manifest.length - 5), MediaType.dockerManifest),
      (e: unknown) => isWharfError(e, 'MANIFEST_INVALID') && /not valid JSON/.test(e.message),
    );
  });

  it('rejects a manifest with both layers and manifests', () => {
    const both = Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [], manifests: [] }));
    assert.throws(() => parseManifest(both, 'application/json'), /both "layers" and "manifests"/);
  });

  it('rejects a mediaType that disagrees with Content-Type', () => {
    assert.throws(() => parseManifest(manifest, MediaType.ociManifest), /does not match the Content-Type/);
  });

  it('rejects schema 1', () => {
    const s1 = Buffer.from(JSON.stringify({ schemaVersion: 1, fsLayers: [] }));
    assert.throws(() => parseManifest(s1, MediaType.dockerSchema1Signed), /schema 1/);
  });

  it('guesses the kind when the registry sends no media type', () => {
    const m = parseManifest(
      Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] })),
      'application/json',
    );
    assert.equal(m.kind, 'index');
  });

  it('rejects invalid descriptors', () => {
    const bad = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        config: { mediaType: 'x', digest: 'md5:abc', size: 1 },
        layers: [],
      }),
    );
    assert.throws(() => parseManifest(bad, MediaType.ociManifest), /invalid or unsupported digest/);
  });
});

describe('selectPlatform', () => {
  it('picks linux/amd64 and skips attestations', () => {
    const idx = index([
      { architecture: 'unknown', os: 'unknown' },
      { architecture: 'arm64', os: 'linux', variant: 'v8' },
      { architecture: 'amd64', os: 'linux' },
      { architecture: 'amd64', os: 'windows' },
    ]);
    assert.equal(selectPlatform(idx, { os: 'linux', architecture: 'amd64' }).digest, d('m2'));
  });

  it('picks the best arm variant the host runs', () => {
    const idx = index([
      { architecture: 'arm', os: 'linux', variant: 'v5' },
      { architecture: 'arm', os: 'linux', variant: 'v6' },
      { architecture: 'arm', os: 'linux', variant: 'v8' },
    ]);
    assert.equal(selectPlatform(idx, { os: 'linux', architecture: 'arm', variant: 'v7' }).digest, d('m1'));
    assert.equal(selectPlatform(idx, { os: 'linux', architecture: 'arm', variant: 'v5' }).digest, d('m0'));
  });

  it('accepts arm64 with or without v8', () => {
    const idx = index([{ architecture: 'arm64', os: 'linux' }]);
    assert.equal(selectPlatform(idx, { os: 'linux', architecture: 'arm64', variant: 'v8' }).digest, d('m0'));
  });

  it('fails clearly when nothing matches', () => {
    const idx = index([{ architecture: 's390x', os: 'linux' }]);
    assert.throws(
      () => selectPlatform(idx, { os: 'linux', architecture: 'amd64' }),
      /no matching manifest for linux\/amd64 in the manifest list entries/,
    );
  });
});
