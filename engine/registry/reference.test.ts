import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isWharfError } from '../errors.js';
import { familiarString, normalizeReference, parseReference } from './reference.js';

const D = 'sha256:' + 'a'.repeat(64);

describe('parseReference', () => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/busybox:1', 'docker.io/library/busybox:1'],
    ['user/app', 'docker.io/user/app:latest'],
    ['user/app/sub:v1.0-rc_1', 'docker.io/user/app/sub:v1.0-rc_1'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/ns/app:tag', 'localhost:5000/ns/app:tag'],
    ['127.0.0.1:5000/app', '127.0.0.1:5000/app:latest'],
    ['registry.example.com/a/b/c', 'registry.example.com/a/b/c:latest'],
    ['Registry.Example.com/a', 'Registry.Example.com/a:latest'],
    ['[::1]:5000/app:x', '[::1]:5000/app:x'],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`],
    [`busybox:1@${D}`, `docker.io/library/busybox:1@${D}`],
    ['a.b__c-d--e', 'docker.io/library/a.b__c-d--e:latest'],
    ['localhost:5000', 'docker.io/library/localhost:5000'],
  ];
  for (const [input, want] of cases) {
    it(`${input} -> ${want}`, () => assert.equal(normalizeReference(input), want));
  }

  const bad = [
    '',
    'Busybox',
    'busybox:',
    'busybox:-tag',
    ':tag',
    '/busybox',
    'busybox/',
    'a//b',
    'a..b',
    'a__-b/',
    'busybox@sha256:abc',
    'host:port/app',
    'UPPER/Case',
    'a'.repeat(64),
    `busybox:${'t'.repeat(129)}`,
  ];
  for (const input of bad) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseReference(input),
        (err: unknown) =>
          isWharfError(err, 'INVALID_REFERENCE') && /invalid reference format/.test(err.message),
      );
    });
  }

  it('says a name must be lowercase as Docker does', () => {
    assert.throws(
      () => parseReference('Busybox'),
      /invalid reference format: repository name \(library\/Busybox\) must be lowercase/,
    );
  });

  it('rejects names over 255 characters', () => {
    assert.throws(() => parseReference(`x.io/${'a'.repeat(260)}`), /more than 255/);
  });

  it('gives the familiar form back', () => {
    assert.equal(familiarString(parseReference('busybox')), 'busybox:latest');
    assert.equal(familiarString(parseReference('user/app:1')), 'user/app:1');
    assert.equal(familiarString(parseReference('localhost:5000/x')), 'localhost:5000/x:latest');
  });

  it('keeps the tag unset on request', () => {
    assert.equal(parseReference('busybox', { defaultTag: false }).tag, undefined);
  });
});
