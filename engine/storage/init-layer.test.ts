import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderHosts, renderResolvConf } from './init-layer.js';

describe('init layer files', () => {
  test('resolv.conf drops loopback nameservers and keeps the rest', () => {
    const host =
      '# generated\nsearch corp.example\nnameserver 127.0.0.1\nnameserver 10.0.0.2\nnameserver ::1\noptions ndots:2\n';
    assert.equal(
      renderResolvConf(host),
      '# generated\nsearch corp.example\nnameserver 10.0.0.2\noptions ndots:2\n',
    );
  });

  test('resolv.conf falls back to public resolvers when only loopback remains', () => {
    assert.equal(
      renderResolvConf('nameserver 127.0.0.53\nsearch lan\n'),
      'search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n',
    );
    assert.equal(renderResolvConf(''), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  });

  test('--dns, --dns-search and --dns-option replace the host values', () => {
    const host = 'search lan\nnameserver 10.0.0.2\noptions rotate\n';
    assert.equal(
      renderResolvConf(host, { dns: ['1.1.1.1'] }),
      'search lan\nnameserver 1.1.1.1\noptions rotate\n',
    );
    assert.equal(
      renderResolvConf(host, { dnsSearch: ['a.example'], dnsOptions: ['ndots:1'] }),
      'search a.example\nnameserver 10.0.0.2\noptions ndots:1\n',
    );
  });

  test('hosts has the localhost lines, extra hosts and the container itself', () => {
    const hosts = renderHosts({
      hostname: 'web',
      domainname: 'example.com',
      ip: '172.17.0.2',
      extraHosts: ['db:10.0.0.5', 'v6:fd00::1'],
    });
    assert.equal(
      hosts,
      '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\n' +
        'ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n10.0.0.5\tdb\nfd00::1\tv6\n172.17.0.2\tweb.example.com web\n',
    );
    assert.doesNotMatch(renderHosts({ hostname: 'web' }), /web/);
  });
});
