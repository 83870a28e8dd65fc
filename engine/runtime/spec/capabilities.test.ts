import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_CAPABILITIES,
  kernelCapabilities,
  normalizeCapability,
  resolveCapabilities,
} from './capabilities.js';

describe('capabilities', () => {
  test('Docker’s default set', () => {
    assert.deepEqual(resolveCapabilities(null, null), [...DEFAULT_CAPABILITIES]);
    assert.equal(DEFAULT_CAPABILITIES.length, 14);
  });

  test('names are case-insensitive with or without CAP_', () => {
    assert.equal(normalizeCapability('net_admin'), 'CAP_NET_ADMIN');
    assert.equal(normalizeCapability('CAP_SYS_ADMIN'), 'CAP_SYS_ADMIN');
    assert.equal(normalizeCapability('cap_sys_ptrace'), 'CAP_SYS_PTRACE');
    assert.equal(normalizeCapability('all'), 'ALL');
    assert.throws(() => normalizeCapability('FLY'), {
      code: 'INVALID_CONFIG',
      message: /unknown capability: "FLY"/,
    });
  });

  test('add and drop', () => {
    const caps = resolveCapabilities(['NET_ADMIN', 'cap_sys_ptrace'], ['MKNOD', 'cap_net_raw']);
    assert.ok(caps.includes('CAP_NET_ADMIN') && caps.includes('CAP_SYS_PTRACE'));
    assert.ok(!caps.includes('CAP_MKNOD') && !caps.includes('CAP_NET_RAW'));
    assert.equal(caps.length, 14);
  });

  test('drop ALL keeps only the added ones', () => {
    assert.deepEqual(resolveCapabilities(['chown'], ['ALL']), ['CAP_CHOWN']);
    assert.deepEqual(resolveCapabilities([], ['all']), []);
  });

  test('add ALL gives every kernel capability minus the dropped', () => {
    const caps = resolveCapabilities(['ALL'], ['SYS_ADMIN']);
    assert.equal(caps.length, kernelCapabilities().length - 1);
    assert.ok(!caps.includes('CAP_SYS_ADMIN'));
  });

  test('privileged ignores add/drop', () => {
    assert.deepEqual(resolveCapabilities(null, ['ALL'], true), [...kernelCapabilities()]);
  });
});
