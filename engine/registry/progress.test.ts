import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { detail, progressBar, progressStream, shortId, type ProgressEvent } from './progress.js';

describe('progress', () => {
  it("has Docker's shape", () => {
    const ev = detail('Downloading', shortId(`sha256:${'ab'.repeat(32)}`), 500, 1000);
    assert.equal(ev.id, 'abababababab');
    assert.deepEqual(ev.progressDetail, { current: 500, total: 1000 });
    assert.match(ev.progress!, /^\[=+>\s+\]\s+500B\/1.00kB$/);
    assert.equal(progressBar(1000, 1000).startsWith(`[${'='.repeat(50)}]`), true);
  });

  it('streams events as an async iterable and returns the result', async () => {
    const gen = progressStream(async (emit) => {
      emit({ status: 'a' });
      await new Promise((r) => setTimeout(r, 5));
      emit({ status: 'b' });
      return 42;
    });
    const seen: ProgressEvent[] = [];
    let r = await gen.next();
    while (!r.done) {
      seen.push(r.value);
      r = await gen.next();
    }
    assert.deepEqual(
      seen.map((e) => e.status),
      ['a', 'b'],
    );
    assert.equal(r.value, 42);
  });

  it('throws the producer error after the events', async () => {
    const seen: string[] = [];
    await assert.rejects(async () => {
      for await (const ev of progressStream((emit) => {
        emit({ status: 'x' });
        return Promise.reject(new Error('boom'));
      })) {
        seen.push(ev.status);
      }
    }, /boom/);
    assert.deepEqual(seen, ['x']);
  });
});
