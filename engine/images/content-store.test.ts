import { strict as assert } from 'node:assert';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { isWharfError } from '../errors.js';
import { FileContentStore, VerifyingStream, sha256Digest } from './content-store.js';

describe('FileContentStore', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  async function store(): Promise<FileContentStore> {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-cs-'));
    dirs.push(dir);
    return FileContentStore.open(dir);
  }

  it('ingests a verified stream under blobs/sha256/<hex>', async () => {
    const cs = await store();
    const data = Buffer.from('hello world'.repeat(10000));
    const digest = sha256Digest(data);
    await cs.ingest(Readable.from([data.subarray(0, 100), data.subarray(100)]), digest, {
      size: data.length,
    });
    assert.ok(await cs.has(digest));
    assert.ok(cs.path(digest).endsWith(`blobs/sha256/${digest.slice(7)}`));
    assert.deepEqual(await cs.readBuffer(digest), data);
    assert.deepEqual(await readdir(join(cs.root, 'tmp')), []);
  });

  it('rejects and leaves nothing when the digest differs', async () => {
    const cs = await store();
    const digest = sha256Digest('expected');
    await assert.rejects(cs.ingest(Readable.from([Buffer.from('something else')]), digest), (e: unknown) =>
      isWharfError(e, 'DIGEST_MISMATCH'),
    );
    assert.equal(await cs.has(digest), false);
    assert.deepEqual(await readdir(join(cs.root, 'tmp')), []);
  });

  it('rejects a stream longer or shorter than the size', async () => {
    const cs = await store();
    const data = Buffer.from('0123456789');
    await assert.rejects(
      cs.ingest(Readable.from([data]), sha256Digest(data), { size: 5 }),
      /more than the expected 5/,
    );
    await assert.rejects(
      cs.ingest(Readable.from([data]), sha256Digest(data), { size: 20 }),
      /got 10 bytes, expected 20/,
    );
    assert.deepEqual(await readdir(join(cs.root, 'tmp')), []);
  });

  it('removes the temp file when the source fails', async () => {
    const cs = await store();
    const src = new Readable({
      read() {
        this.push(Buffer.alloc(1000));
        this.destroy(new Error('connection reset'));
      },
    });
    await assert.rejects(cs.ingest(src, sha256Digest('x')), /connection reset/);
    assert.deepEqual(await readdir(join(cs.root, 'tmp')), []);
  });

  it('trusts a stream its caller verified, and fails with it', async () => {
    const cs = await store();
    const data = Buffer.from('verified upstream');
    const digest = sha256Digest(data);
    await cs.ingest(Readable.from([data]).pipe(new VerifyingStream(digest, data.length)), digest, {
      verified: true,
    });
    assert.deepEqual(await cs.readBuffer(digest), data);
    const bad = sha256Digest('other');
    const upstream = new VerifyingStream(bad);
    Readable.from([data]).pipe(upstream);
    await assert.rejects(cs.ingest(upstream, bad, { verified: true }), (e: unknown) =>
      isWharfError(e, 'DIGEST_MISMATCH'),
    );
    assert.equal(await cs.has(bad), false);
    assert.deepEqual(await readdir(join(cs.root, 'tmp')), []);
  });

  it('puts buffers, adds local streams, deletes, lists', async () => {
    const cs = await store();
    const a = await cs.put(Buffer.from('a'));
    assert.equal(a, sha256Digest('a'));
    const b = await cs.add(Readable.from([Buffer.from('b'), Buffer.from('c')]));
    assert.deepEqual(b, { digest: sha256Digest('bc'), size: 2 });
    assert.deepEqual((await cs.list()).sort(), [a, b.digest].sort());
    await cs.delete(a);
    assert.equal(await cs.has(a), false);
  });

  it('cleans temp files a crash left behind when opened', async () => {
    const cs = await store();
    await writeFile(join(cs.root, 'tmp', 'partial'), 'half a blob');
    const again = await FileContentStore.open(join(cs.root, '..'));
    assert.deepEqual(await readdir(join(again.root, 'tmp')), []);
  });

  it('refuses paths that are not sha256 digests', async () => {
    const cs = await store();
    assert.throws(() => cs.path('sha256:../../etc/passwd' as `sha256:${string}`), /not a sha256 digest/);
  });
});
