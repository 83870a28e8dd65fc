// Pieces of the API that need no kernel: query parsing, filters, the router,
// detach keys, Docker's duration strings, daemon config merging and the lock.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFilters, queryBool, matchLabels, parseTimestamp } from './query.js';
import { Router } from './router.js';
import { DetachScanner, parseDetachKeys, muxFrame } from './streams.js';
import { humanDuration } from './container-views.js';
import { mergeConfigFile, type DaemonOptions } from '../daemon/config.js';
import { acquireLock, DaemonLockedError } from '../daemon/lock.js';
import { ApiError } from './errors.js';

describe('api units', () => {
  test('query booleans follow Docker', () => {
    for (const f of ['', '0', 'no', 'false', 'NONE', 'False']) {
      assert.equal(queryBool(new URLSearchParams(`x=${f}`), 'x'), false, f);
    }
    for (const t of ['1', 'true', 'True', 'yes'])
      assert.equal(queryBool(new URLSearchParams(`x=${t}`), 'x'), true, t);
    assert.equal(queryBool(new URLSearchParams(''), 'x', true), true);
  });

  test('filters as a map or as lists; labels', () => {
    assert.deepEqual([...parseFilters('{"label":{"a=b":true}}')], [['label', ['a=b']]]);
    assert.deepEqual([...parseFilters('{"label":["a=b","c"]}')], [['label', ['a=b', 'c']]]);
    assert.throws(() => parseFilters('{oops'), ApiError);
    assert.ok(matchLabels(['a=b', 'c'], { a: 'b', c: 'x' }));
    assert.ok(!matchLabels(['a=c'], { a: 'b' }));
    assert.equal(parseTimestamp('1700000000.5'), 1_700_000_000_500);
    assert.equal(parseTimestamp('10m', 1_000_000), 1_000_000 - 600_000);
  });

  test('router: versionless patterns, greedy image names, HEAD falls back to GET', async () => {
    const r = new Router();
    const hit = async (): Promise<void> => {};
    r.add('GET', '/images/json', hit)
      .add('GET', '/images/{name*}/json', hit)
      .add('DELETE', '/images/{name*}', hit);
    const m = r.match('GET', '/images/127.0.0.1:5000/x/y:tag/json');
    assert.ok(m && m !== 'method');
    assert.deepEqual(m.params, ['127.0.0.1:5000/x/y:tag']);
    const del = r.match('DELETE', '/images/busybox%3Alatest');
    assert.ok(del && del !== 'method');
    assert.deepEqual(del.params, ['busybox:latest']);
    assert.equal(r.match('POST', '/images/json'), 'method');
    assert.equal(r.match('GET', '/nope'), undefined);
    assert.ok(r.match('HEAD', '/images/json'));
  });

  test('detach keys: default ctrl-p ctrl-q, partial matches are released', () => {
    assert.deepEqual([...parseDetachKeys(undefined)], [16, 17]);
    assert.deepEqual([...parseDetachKeys('ctrl-a,x')], [1, 120]);
    assert.throws(() => parseDetachKeys('ctrl-'), ApiError);
    const s = new DetachScanner(parseDetachKeys(undefined));
    assert.deepEqual(s.push(Buffer.from('ab\x10')), { data: Buffer.from('ab'), detach: false });
    assert.deepEqual(s.push(Buffer.from('c')), { data: Buffer.from('\x10c'), detach: false });
    const r = s.push(Buffer.from('z\x10\x11rest'));
    assert.equal(r.detach, true);
    assert.deepEqual(r.data, Buffer.from('z'));
    assert.deepEqual([...muxFrame(2, Buffer.from('hi'))], [2, 0, 0, 0, 0, 0, 0, 2, 104, 105]);
  });

  test("Docker's human durations", () => {
    assert.equal(humanDuration(500), 'Less than a second');
    assert.equal(humanDuration(1000), '1 second');
    assert.equal(humanDuration(5000), '5 seconds');
    assert.equal(humanDuration(65_000), 'About a minute');
    assert.equal(humanDuration(2 * 60_000), '2 minutes');
    assert.equal(humanDuration(3_600_000), 'About an hour');
    assert.equal(humanDuration(5 * 3_600_000), '5 hours');
    assert.equal(humanDuration(3 * 86_400_000), '3 days');
  });

  test('daemon.json: Docker keys, flag conflicts, lock refusal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-units-'));
    try {
      const flags: DaemonOptions = {
        hosts: [],
        insecureRegistries: [],
        registryMirrors: [],
        logLevel: 'info',
      };
      const file = join(dir, 'daemon.json');
      writeFileSync(
        file,
        JSON.stringify({
          'data-root': '/x',
          'insecure-registries': ['r:5000'],
          debug: true,
          'live-restore': true,
        }),
      );
      const { options } = mergeConfigFile(flags, new Set(), file, true);
      assert.equal(options.dataRoot, '/x');
      assert.deepEqual(options.insecureRegistries, ['r:5000']);
      assert.equal(options.logLevel, 'debug');
      assert.throws(
        () => mergeConfigFile({ ...flags, dataRoot: '/y' }, new Set(['data-root']), file, true),
        /specified both as a flag and in the configuration file: data-root/,
      );
      assert.equal(mergeConfigFile(flags, new Set(), join(dir, 'missing.json'), false).options, flags);
      assert.throws(
        () => mergeConfigFile(flags, new Set(), join(dir, 'missing.json'), true),
        /unable to read/,
      );
      const lock = acquireLock(dir);
      // Our own pid holds it: pretend another live process does.
      writeFileSync(join(dir, 'wharf.lock'), `${process.ppid}\n`);
      assert.throws(() => acquireLock(dir), DaemonLockedError);
      // A dead owner's lock is taken over.
      writeFileSync(join(dir, 'wharf.lock'), '999999999\n');
      const again = acquireLock(dir);
      again.release();
      lock.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
