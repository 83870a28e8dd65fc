// wharf-shim's json-file log (native/README.md): Docker's record format and
// escaping (moby jsonlogbytes.go), RFC3339Nano timestamps, 16 KiB pieces.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ShimContainer, testRuntimes } from './shim-harness.js';

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const STDOUT = Buffer.concat([
  Buffer.from('plain line\n'),
  Buffer.from('tab\there "q" back\\slash <a>&\r\n'),
  hex('01 1b'),
  Buffer.from('[0m\n'),
  // 0xff; c3 28 (bad continuation); c0 af (overlong); ed a0 80 (surrogate);
  // é, an emoji and U+2028 are valid.
  hex('ff 20 c3 28 20 c0 af 20 ed a0 80 20 c3 a9 20 f0 9f 98 80 20 e2 80 a8 0a'),
  Buffer.from('tail-no-newline'),
]);
// The exact text Docker writes between the quotes of "log".
const EXPECTED_RAW = [
  'plain line\\n',
  'tab\\u0009here \\"q\\" back\\\\slash \\u003ca\\u003e\\u0026\\r\\n',
  '\\u0001\\u001b[0m\\n',
  '\\ufffd \\ufffd( \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd \u00e9 \u{1F600} \\u2028\\n',
  'tail-no-newline',
];

function rawLogFields(path: string, stream: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`"stream":"${stream}"`))
    .map((l) => {
      const m = l.match(/^\{"log":"(.*)","stream":"(stdout|stderr)","time":"([^"]+)"\}$/);
      assert.ok(m, `record shape: ${l}`);
      return m[1] ?? '';
    });
}

for (const rt of testRuntimes('shim-log')) {
  describe(`wharf-shim json-file log (${rt.path})`, { skip: rt.skip }, () => {
    it('logs stdout and stderr with Docker escaping and timestamps', async (t) => {
      const c = ShimContainer.forBundle(rt.path, { args: ['sh', '-c', 'cat /out; cat /err >&2'] });
      t.after(() => c.dispose());
      writeFileSync(join(c.bundle, 'rootfs', 'out'), STDOUT);
      writeFileSync(join(c.bundle, 'rootfs', 'err'), 'err line\n');
      await c.create();
      const before = Date.now();
      c.start();
      await c.waitExit();
      const after = Date.now();
      assert.deepEqual(rawLogFields(c.logPath, 'stdout'), EXPECTED_RAW);
      assert.deepEqual(rawLogFields(c.logPath, 'stderr'), ['err line\\n']);
      const records = c.logRecords();
      // JSON.parse round trip: what a reader of the log sees.
      assert.equal(
        records.filter((r) => r.stream === 'stdout')[1]?.log,
        'tab\there "q" back\\slash <a>&\r\n',
      );
      let last = 0;
      for (const r of records) {
        assert.match(r.time, TIME);
        const ms = Date.parse(r.time);
        assert.ok(ms >= before - 1000 && ms <= after + 1000, `time ${r.time} within the run`);
        if (r.stream === 'stdout') {
          assert.ok(ms >= last, 'non-decreasing');
          last = ms;
        }
      }
    });

    it('splits a 100 KB line into 16 KiB pieces', async (t) => {
      const c = ShimContainer.forBundle(rt.path, { args: ['cat', '/big'] });
      t.after(() => c.dispose());
      const line = 'x'.repeat(100 * 1024) + '\n';
      writeFileSync(join(c.bundle, 'rootfs', 'big'), 'short\n' + line + 'y'.repeat(16383) + '\n');
      await c.create();
      c.start();
      await c.waitExit();
      const logs = c.logRecords().map((r) => r.log);
      assert.equal(logs[0], 'short\n');
      const pieces = logs.slice(1, 8);
      assert.equal(pieces.join(''), line);
      for (const p of pieces.slice(0, -1)) {
        assert.equal(p.length, 16 * 1024);
        assert.ok(!p.includes('\n'));
      }
      assert.equal(pieces.at(-1), 'x'.repeat(100 * 1024 - 6 * 16 * 1024) + '\n');
      // 16383 bytes plus the newline fill the buffer exactly: one record.
      assert.equal(logs[8], 'y'.repeat(16383) + '\n');
      assert.equal(logs.length, 9);
    });
  });
}
