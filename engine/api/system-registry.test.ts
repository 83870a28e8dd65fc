import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registryConfig } from './system.js';

test('registryConfig reports insecure registries and mirrors as dockerd does', () => {
  const c = registryConfig(
    ['10.0.0.0/8', 'reg.local:5000', 'http://Other:5001/'],
    ['https://mirror.example'],
  );
  assert.deepEqual(c.InsecureRegistryCIDRs, ['127.0.0.0/8', '10.0.0.0/8']);
  assert.deepEqual(c.Mirrors, ['https://mirror.example']);
  assert.deepEqual(c.IndexConfigs['docker.io'], {
    Name: 'docker.io',
    Mirrors: ['https://mirror.example'],
    Secure: true,
    Official: true,
  });
  assert.equal(c.IndexConfigs['reg.local:5000']?.Secure, false);
  assert.equal(c.IndexConfigs['other:5001']?.Secure, false);
  assert.deepEqual(registryConfig([], []).InsecureRegistryCIDRs, ['127.0.0.0/8']);
});
