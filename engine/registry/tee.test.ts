import { strict as assert } from 'node:assert';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { Tee } from './tee.js';

async function collect(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

describe('Tee', () => {
  const data = Array.from({ length: 64 }, (_, i) => Buffer.alloc(64 * 1024, i));

  it('copies every byte to both outputs, paced by the slower one', async () => {
    const tee = new Tee();
    const slow = new Writable({
      highWaterMark: 1,
      write(_c, _e, cb) {
        setImmediate(cb);
      },
    });
    const [, a] = await Promise.all([
      pipeline(Readable.from(data), tee),
      collect(tee.a),
      pipeline(tee.b, slow),
    ]);
    assert.deepEqual(a, Buffer.concat(data));
  });

  it('fails both outputs when the source fails', async () => {
    const tee = new Tee();
    const src = new Readable({
      read() {
        this.push(Buffer.alloc(10));
        this.destroy(new Error('reset'));
      },
    });
    const results = await Promise.allSettled([pipeline(src, tee), collect(tee.a), collect(tee.b)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected', 'rejected'],
    );
  });

  it('drops an output whose reader went away and keeps feeding the other', async () => {
    const tee = new Tee();
    tee.b.once('data', () => tee.b.destroy());
    const [, a] = await Promise.all([pipeline(Readable.from(data), tee), collect(tee.a)]);
    assert.equal(a.length, 64 * 64 * 1024);
  });
});
