// wharf-untar --gzip / --digest: the helper gunzips (multi-member streams
// too, each member's CRC checked) and reports the diffID, the sha256 of
// every byte of the uncompressed stream (trailing bytes after the archive
// included).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildTar } from '../../engine/storage/layers/testing.js';
import { untarSkip, runUntar, Sandbox } from './untar-harness.js';

const skip = untarSkip('untar gzip');

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('wharf-untar: --gzip and --digest', { skip }, () => {
  const boxes: Sandbox[] = [];
  after(() => {
    for (const b of boxes) b.dispose();
  });
  function box(): Sandbox {
    const b = new Sandbox();
    boxes.push(b);
    return b;
  }

  const tar = (): Promise<Buffer> =>
    buildTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/motd', body: 'hello\n' },
      { name: 'big', body: Buffer.alloc(300_000, 'x') },
    ]);

  test('gzip, multi-member gzip and plain input give the same files and diffID', async () => {
    const t = await tar();
    // With trailing zeros after the end-of-archive blocks: they count too.
    const plain = Buffer.concat([t, Buffer.alloc(4096)]);
    const half = plain.length >> 1;
    for (const [kind, input, flags] of [
      ['plain', plain, []],
      ['gzip', gzipSync(plain), ['--gzip']],
      [
        'multi-member gzip',
        Buffer.concat([gzipSync(plain.subarray(0, half)), gzipSync(plain.subarray(half))]),
        ['--gzip'],
      ],
    ] as const) {
      const b = box();
      const r = runUntar([...flags, '--digest', b.target], input);
      assert.equal(r.status, 0, `${kind}: ${r.stderr}`);
      assert.deepEqual(JSON.parse(r.stdout), { size: 6 + 300_000, entries: 3, diffID: sha(plain) }, kind);
      assert.equal(readFileSync(join(b.target, 'etc/motd'), 'utf8'), 'hello\n', kind);
      assert.deepEqual(b.changes(), []);
    }
  });

  test('without --gzip a gzip stream is not a tar', async () => {
    const t = await tar();
    const r2 = runUntar(['--digest', box().target], gzipSync(t));
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /^wharf-untar: read the layer/);
  });

  test('an empty stream is an empty layer', () => {
    const r = runUntar(['--gzip', '--digest', box().target], Buffer.alloc(0));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { size: 0, entries: 0, diffID: sha(Buffer.alloc(0)) });
  });

  test('a truncated, corrupt or trailed gzip stream fails clearly', async () => {
    const gz = gzipSync(await tar());
    const run = (input: Buffer) => runUntar(['--gzip', '--digest', box().target], input);
    // Cut inside the 8-byte trailer: every byte of the tar is there, the check is not.
    const cut = run(gz.subarray(0, gz.length - 4));
    assert.equal(cut.status, 1);
    assert.match(cut.stderr, /^wharf-untar: .*decompress the layer: the gzip stream is truncated/);
    // A wrong CRC-32 in the trailer.
    const crc = Buffer.from(gz);
    crc.writeUInt32LE(crc.readUInt32LE(gz.length - 8) ^ 1, gz.length - 8);
    const badCrc = run(crc);
    assert.equal(badCrc.status, 1);
    assert.match(badCrc.stderr, /^wharf-untar: .*decompress the layer: incorrect data check/);
    const trailed = run(Buffer.concat([gz, Buffer.from('garbage')]));
    assert.equal(trailed.status, 1);
    assert.match(trailed.stderr, /^wharf-untar: .*decompress the layer: incorrect header check/);
  });

  test('a decompression bomb stops at --max-size', async () => {
    const bomb = gzipSync(await buildTar([{ name: 'zeros', body: Buffer.alloc(8 << 20) }]));
    assert.ok(bomb.length < 64 << 10);
    const b = box();
    const r = runUntar(['--gzip', '--digest', '--max-size=1048576', b.target], bomb);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /larger than the limit of 1048576 bytes/);
    assert.deepEqual(b.changes(), []);
  });
});
