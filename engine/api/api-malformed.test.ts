// Protocol details and hostile input (issue 4, "What must be shown" 9):
// headers, _ping, versioned paths, Docker's error shape, swarm 503, unknown
// routes; a burst of malformed requests gets 4xx answers and the daemon goes
// on serving; dockerode drives a container through the same API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { leaks, skipReason, startTestDaemon, uniqueName, type TestDaemon } from './testing.js';

const skip = skipReason();
if (skip) console.log(`# skipping API protocol tests: ${skip}`);

/** Sends raw bytes, returns what came back until the server closed or `ms` passed. */
function raw(socket: string, data: string | Buffer, ms = 1000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(socket);
    let out = '';
    s.on('data', (b) => (out += b.toString()));
    s.on('error', () => resolve(out));
    s.on('close', () => resolve(out));
    s.write(data);
    setTimeout(() => {
      s.destroy();
      resolve(out);
    }, ms);
  });
}

describe('API protocol and malformed input', { skip }, () => {
  let d: TestDaemon;
  const ids: string[] = [];
  before(async () => {
    d = await startTestDaemon('proto');
  });
  after(async () => {
    await d.cleanup();
    assert.deepEqual(leaks(d.dir, ids), []);
  });

  test('_ping (HEAD and GET), common headers, version negotiation', async () => {
    for (const method of ['HEAD', 'GET']) {
      const r = await d.http(method, '/_ping');
      assert.equal(r.status, 200);
      assert.equal(r.headers['api-version'], '1.50');
      assert.equal(r.headers['ostype'], 'linux');
      assert.equal(r.headers['docker-experimental'], 'false');
      assert.equal(r.headers['swarm'], 'inactive');
      assert.equal(r.headers['builder-version'], '1');
      assert.equal(r.headers['cache-control'], 'no-cache, no-store, must-revalidate');
      assert.equal(r.body, method === 'GET' ? 'OK' : '');
    }
    const v = await d.http('GET', '/v1.99/version');
    assert.equal(v.status, 200, 'newer clients are served as 1.50');
    assert.equal((JSON.parse(v.body) as { ApiVersion: string }).ApiVersion, '1.50');
    const old = await d.http('GET', '/v1.12/version');
    assert.equal(old.status, 400);
    assert.match(old.body, /client version 1.12 is too old. Minimum supported API version is 1.24/);
    const unv = await d.http('GET', '/info');
    assert.equal(unv.status, 200);
  });

  test('errors: JSON body with Content-Type exactly application/json', async () => {
    const nf = await d.http('GET', '/v1.50/containers/nope/json');
    assert.equal(nf.status, 404);
    assert.equal(nf.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(nf.body), { message: 'No such container: nope' });
    const route = await d.http('GET', '/v1.50/no/such/route');
    assert.equal(route.status, 404);
    assert.equal(route.headers['content-type'], 'application/json');
    assert.ok((JSON.parse(route.body) as { message: string }).message);
    const swarm = await d.http('GET', '/v1.50/swarm');
    assert.equal(swarm.status, 503);
    assert.deepEqual(JSON.parse(swarm.body), { message: 'This node is not part of a swarm' });
    const svc = await d.http('GET', '/v1.50/services');
    assert.equal(svc.status, 503);
  });

  test('a burst of malformed requests gets 4xx and the daemon keeps serving', async () => {
    const json = { 'Content-Type': 'application/json' };
    const cases: Array<[string, string, string | Buffer | undefined]> = [
      ['POST', '/containers/create', '{not json'],
      ['POST', '/containers/create', '[1,2,3]'],
      ['POST', '/containers/create', '"just a string"'],
      ['POST', '/containers/create', '{"Image":"busybox","Cmd":42}'],
      ['POST', '/containers/create', '{"Image":"busybox","Env":"A=B"}'],
      ['POST', '/containers/create', '{"Image":"busybox","HostConfig":{"Memory":"lots"}}'],
      [
        'POST',
        '/containers/create',
        '{"Image":"busybox","HostConfig":{"RestartPolicy":{"Name":"sometimes"}}}',
      ],
      ['POST', '/containers/create?name=bad%20name', '{"Image":"busybox"}'],
      ['POST', '/containers/create', '{"Image":12}'],
      ['POST', '/containers/create', Buffer.alloc(9 * 1024 * 1024, 0x41)],
      ['POST', '/containers/nope/start', undefined],
      ['POST', '/containers/nope/kill?signal=NOPE', undefined],
      ['GET', '/containers/json?filters=%7Bbroken', undefined],
      ['GET', '/containers/json?filters=%7B%22nosuchfilter%22%3A%5B%22x%22%5D%7D', undefined],
      ['GET', '/containers/json?limit=abc', undefined],
      ['POST', '/containers/nope/wait?condition=whenever', undefined],
      ['GET', '/containers/nope/logs?stdout=1', undefined],
      ['POST', '/exec/nope/start', '{}'],
      ['GET', '/exec/nope/json', undefined],
      ['GET', '/events?since=yesterday', undefined],
      ['POST', '/auth', '{"username":5}'],
      ['GET', '/%E0%A4%A', undefined],
    ];
    for (const [method, path, body] of cases) {
      const r = await d.http(method, `/v1.50${path}`, body, body ? json : {});
      assert.ok(r.status >= 400 && r.status < 500, `${method} ${path}: ${r.status} ${r.body}`);
      if (r.body) assert.ok(typeof (JSON.parse(r.body) as { message: string }).message === 'string', r.body);
    }
    // Garbage on the socket, a truncated request, a client that leaves mid-stream.
    assert.match(await raw(d.socket, 'THIS IS NOT HTTP\r\n\r\n'), /^HTTP\/1.1 400/);
    await raw(
      d.socket,
      'POST /v1.50/containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"Ima',
      300,
    );
    await raw(d.socket, 'GET /v1.50/events HTTP/1.1\r\nHost: x\r\n\r\n', 200);
    await raw(
      d.socket,
      'POST /v1.50/containers/nope/attach?stream=1 HTTP/1.1\r\nHost: x\r\nUpgrade: tcp\r\nConnection: Upgrade\r\n\r\n',
      300,
    );
    const ping = await d.http('GET', '/_ping');
    assert.equal(ping.status, 200);
    assert.match(d.dockerOk(['run', '--rm', 'busybox', 'echo', 'still-serving']), /still-serving/);
  });

  test('stats stream: one sample a second with precpu filled; a client leaving mid-stream is fine', async () => {
    const name = uniqueName('stats');
    d.dockerOk(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'while true; do :; done']);
    ids.push(d.dockerOk(['inspect', '-f', '{{.Id}}', name]).trim());
    const lines = await new Promise<string[]>((resolve, reject) => {
      const s = connect(d.socket);
      let buf = '';
      s.on('data', (b) => {
        buf += b.toString();
        const objs = buf.split('\n').filter((l) => l.startsWith('{'));
        if (objs.length >= 2) {
          s.destroy();
          resolve(objs);
        }
      });
      s.on('error', reject);
      s.write(`GET /v1.50/containers/${name}/stats?stream=1 HTTP/1.1\r\nHost: x\r\n\r\n`);
    });
    type Stats = {
      cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage: number; online_cpus: number };
      precpu_stats: { cpu_usage: { total_usage: number } };
      memory_stats: { usage: number; limit: number };
      pids_stats: { current: number };
    };
    const second = JSON.parse(lines[1]!) as Stats;
    assert.ok(second.precpu_stats.cpu_usage.total_usage > 0, 'precpu filled');
    assert.ok(second.cpu_stats.cpu_usage.total_usage > second.precpu_stats.cpu_usage.total_usage);
    assert.ok(second.cpu_stats.system_cpu_usage > 0 && second.cpu_stats.online_cpus > 0);
    assert.ok(second.memory_stats.usage > 0 && second.memory_stats.limit > 0);
    assert.equal(second.pids_stats.current, 1);
    const one = await d.http('GET', `/v1.50/containers/${name}/stats?stream=0`);
    assert.ok((JSON.parse(one.body) as Stats).precpu_stats.cpu_usage.total_usage > 0);
    d.dockerOk(['rm', '-f', name]);
    assert.equal((await d.http('GET', '/_ping')).status, 200);
  });

  test('wait answers headers at once; events carry the legacy fields and honour filters', async () => {
    const name = uniqueName('wait');
    const since = Date.now() / 1000;
    d.dockerOk(['run', '-d', '--name', name, 'busybox', 'sleep', '1000']);
    const id = d.dockerOk(['inspect', '-f', '{{.Id}}', name]).trim();
    ids.push(id);
    const got = await new Promise<{ headersAt: number; body: string }>((resolve, reject) => {
      const s = connect(d.socket);
      let buf = '';
      let headersAt = 0;
      s.on('data', (b) => {
        buf += b.toString();
        if (!headersAt && buf.includes('\r\n\r\n')) {
          headersAt = Date.now();
          d.docker(['kill', name]);
        }
        if (/"StatusCode":\d+/.test(buf)) {
          s.destroy();
          resolve({ headersAt, body: buf });
        }
      });
      s.on('error', reject);
      s.write(
        `POST /v1.50/containers/${id}/wait?condition=next-exit HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`,
      );
    });
    assert.ok(got.headersAt > 0, 'headers came before the exit');
    assert.match(got.body, /^HTTP\/1.1 200 OK/);
    assert.match(got.body, /\{"StatusCode":137,"Error":null\}/);
    const until = Date.now() / 1000 + 1;
    const filters = encodeURIComponent(JSON.stringify({ container: [name], event: { die: true } }));
    const ev = await d.http('GET', `/v1.50/events?since=${since}&until=${until}&filters=${filters}`);
    const events = ev.body
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(events.length, 1, ev.body);
    const die = events[0] as {
      Type: string;
      Action: string;
      status: string;
      id: string;
      from: string;
      Actor: { ID: string; Attributes: Record<string, string> };
      timeNano: number;
    };
    assert.equal(die.Type, 'container');
    assert.equal(die.Action, 'die');
    assert.equal(die.status, 'die');
    assert.equal(die.id, id);
    assert.equal(die.from, 'busybox');
    assert.equal(die.Actor.Attributes.exitCode, '137');
    assert.equal(die.Actor.Attributes.name, name);
    d.dockerOk(['rm', name]);
  });

  test('volumes and networks: truthful lists until their issues land', () => {
    assert.equal(d.dockerOk(['volume', 'ls', '-q']).trim(), '');
    assert.match(d.dockerOk(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']), /^none null$/m);
  });

  test('dockerode: create, attach, start, wait, logs, exec, inspect, remove', async () => {
    const docker = new Docker({ socketPath: d.socket });
    const info = await docker.version();
    assert.equal(info.ApiVersion, '1.50');
    const name = uniqueName('dode');
    const c = await docker.createContainer({
      Image: 'busybox',
      name,
      Cmd: ['sh', '-c', 'read line; echo "got $line"; echo oops >&2; sleep 1000'],
      OpenStdin: true,
      StdinOnce: false,
      Labels: { 'wharf.test': 'dockerode' },
    });
    ids.push(c.id);
    const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    const out = new PassThrough();
    const err = new PassThrough();
    let outText = '';
    let errText = '';
    out.on('data', (b: Buffer) => (outText += b.toString()));
    err.on('data', (b: Buffer) => (errText += b.toString()));
    docker.modem.demuxStream(stream, out, err);
    await c.start();
    stream.write('hello\n');
    const deadline = Date.now() + 5000;
    while (!(outText.includes('got hello') && errText.includes('oops')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(outText, /got hello/);
    assert.match(errText, /oops/);
    const list = await docker.listContainers({ filters: { label: ['wharf.test=dockerode'] } });
    assert.equal(list.length, 1);
    assert.equal(list[0]?.Names[0], `/${name}`);
    const exec = await c.exec({
      Cmd: ['sh', '-c', 'echo from-exec; exit 9'],
      AttachStdout: true,
      AttachStderr: true,
    });
    const es = await exec.start({ hijack: true, stdin: false });
    const eo = new PassThrough();
    let execText = '';
    eo.on('data', (b: Buffer) => (execText += b.toString()));
    docker.modem.demuxStream(es, eo, new PassThrough());
    await new Promise((r) => es.on('end', r));
    assert.match(execText, /from-exec/);
    const ei = await exec.inspect();
    assert.equal(ei.ExitCode, 9);
    assert.equal(ei.Running, false);
    await c.kill();
    const w = (await c.wait()) as { StatusCode: number };
    assert.equal(w.StatusCode, 137);
    const logs = (await c.logs({ stdout: true, stderr: true })) as unknown as Buffer;
    assert.match(logs.toString(), /got hello/);
    (stream as unknown as import('node:stream').Duplex).destroy();
    await c.remove({ v: true });
    await assert.rejects(c.inspect(), /no such container/i);
  });
});
