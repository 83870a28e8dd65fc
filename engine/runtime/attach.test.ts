// The attach client against a socket server speaking the shim's frame
// protocol (native/README.md): framing, demux, stdin, close-stdin, resize.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttachClient, encodeFrame, FrameDecoder, FrameType, readToEnd } from './attach.js';

const dir = mkdtempSync(join(tmpdir(), 'wharf-attach-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('FrameDecoder reassembles frames split across chunks', () => {
  const wire = Buffer.concat([
    encodeFrame(1, Buffer.from('hello')),
    encodeFrame(2, Buffer.from('')),
    encodeFrame(2, Buffer.from('err')),
  ]);
  const d = new FrameDecoder();
  const frames = [];
  for (let i = 0; i < wire.length; i += 3) frames.push(...d.push(wire.subarray(i, i + 3)));
  assert.deepEqual(
    frames.map((f) => [f.type, f.payload.toString()]),
    [
      [1, 'hello'],
      [2, ''],
      [2, 'err'],
    ],
  );
});

test('client demuxes output and sends stdin, close-stdin and resize frames', async () => {
  const path = join(dir, 'attach.sock');
  const received: Array<{ type: number; payload: Buffer }> = [];
  let peer: Socket | undefined;
  const server = createServer((s) => {
    peer = s;
    const d = new FrameDecoder();
    s.on('data', (c: Buffer) => {
      for (const f of d.push(c)) {
        received.push(f);
        if (f.type === FrameType.CloseStdin) {
          s.write(encodeFrame(FrameType.Stdout, Buffer.from('out\n')));
          s.write(encodeFrame(FrameType.Stderr, Buffer.from('err\n')));
          s.end();
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  try {
    await using client = await AttachClient.connect(path);
    const out = readToEnd(client.stdout);
    const err = readToEnd(client.stderr);
    client.resize(24, 80);
    client.stdin.write('abc');
    client.stdin.end();
    assert.equal((await out).toString(), 'out\n');
    assert.equal((await err).toString(), 'err\n');
    await client.closed();
    assert.deepEqual(
      received.map((f) => [f.type, f.payload.toString('hex')]),
      [
        [FrameType.Resize, '00180050'],
        [FrameType.Stdin, Buffer.from('abc').toString('hex')],
        [FrameType.CloseStdin, ''],
      ],
    );
  } finally {
    peer?.destroy();
    await new Promise((r) => server.close(r));
  }
});

test('connect to a missing socket fails with ATTACH_FAILED', async () => {
  await assert.rejects(AttachClient.connect(join(dir, 'nope.sock'), 100), { code: 'ATTACH_FAILED' });
});
