// StreamSink: batching, the ack window (pausing and resuming the source),
// and LineSplitter's handling of split multibyte characters and long lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STREAM_WINDOW } from '../../../shared/ipc.js';
import { LineSplitter, StreamSink } from './sink.js';

test('batches pushes and pauses the source past the window until acks arrive', () => {
  const sent: number[][] = [];
  let ended: string | undefined | null = null;
  const sink = new StreamSink<number>({ send: (b) => sent.push(b), end: (e) => (ended = e) }, 4);
  const calls: string[] = [];
  sink.attach({ pause: () => calls.push('pause'), resume: () => calls.push('resume') });
  for (let i = 0; i < STREAM_WINDOW * 4; i++) sink.push(i, 1);
  assert.equal(sent.length, STREAM_WINDOW, 'one batch per 4 items');
  assert.deepEqual(sent[0], [0, 1, 2, 3]);
  assert.deepEqual(calls, ['pause']);
  for (let i = 0; i < STREAM_WINDOW / 2; i++) sink.ack();
  assert.deepEqual(calls, ['pause', 'resume']);
  sink.end('boom');
  assert.equal(ended, 'boom');
  sink.push(99);
  sink.flush();
  assert.equal(sent.flat().includes(99), false, 'nothing after end');
});

test('flushes a partial batch on a timer', async () => {
  const sent: string[][] = [];
  const sink = new StreamSink<string>({ send: (b) => sent.push(b), end: () => {} });
  sink.push('a');
  sink.push('b');
  assert.equal(sent.length, 0);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(sent, [['a', 'b']]);
  sink.end();
});

test('LineSplitter keeps multibyte characters whole and cuts very long lines', () => {
  const lines: string[] = [];
  const s = new LineSplitter(10);
  const bytes = Buffer.from('héllo\nwörld\n');
  for (const b of bytes) s.write(Uint8Array.of(b), (l) => lines.push(l));
  assert.deepEqual(lines, ['héllo', 'wörld']);
  lines.length = 0;
  s.write(Buffer.from('x'.repeat(25)), (l) => lines.push(l));
  s.end((l) => lines.push(l));
  assert.deepEqual(lines, ['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
});
