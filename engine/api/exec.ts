// Exec endpoints: create (409 unless running), start (hijacked, TTY or not;
// Detach), resize, inspect with the exit code.
//
// The runtime starts an exec's process at once, so output written before
// our attach connects reaches only the exec's json log. Non-TTY output is
// therefore streamed from that log (exact, line by line); TTY output comes
// from the attach socket, and if nothing arrived there by the exit, the log
// is sent instead (a short `exec -t … echo hi`).
import { randomBytes } from 'node:crypto';
import { watch } from 'node:fs';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { startExec } from './exec-runner.js';
import { AttachClient, type LogEntry } from '../runtime/index.js';
import { badRequest, conflict, notFound } from './errors.js';
import type { Engine } from './engine.js';
import { execInspect, type ExecConfig, type ExecInstance } from './exec-registry.js';
import type { RequestCtx } from './http.js';
import { queryInt } from './query.js';
import type { Router } from './router.js';
import { DetachScanner, LogTail, OutputSink, Waker, parseDetachKeys } from './streams.js';
import { pump, streamType } from './container-io.js';
import { trace } from '../util/trace.js';
import { primeCgroupMove } from '../runtime/cgroup-prime.js';

async function create(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const body = await ctx.json<ExecConfig>();
  if (!body || typeof body !== 'object')
    throw badRequest('config cannot be empty in order to create an exec');
  const cmd = typeof body.Cmd === 'string' ? [body.Cmd] : body.Cmd;
  if (!Array.isArray(cmd) || cmd.length === 0 || cmd.some((c) => typeof c !== 'string')) {
    throw badRequest('No exec command specified');
  }
  if (body.Env != null && (!Array.isArray(body.Env) || body.Env.some((x) => typeof x !== 'string'))) {
    throw badRequest('json: cannot unmarshal into Go struct field ExecConfig.Env of type []string');
  }
  if (body.DetachKeys) parseDetachKeys(body.DetachKeys);
  if (rec.state.status === 'paused')
    throw conflict(`Container ${rec.id} is paused, unpause the container before exec`);
  if (rec.state.status !== 'running') throw conflict(`Container ${rec.id} is not running`);
  primeCgroupMove(); // the exec's start follows in a moment (cgroup-prime.ts)
  const id = randomBytes(32).toString('hex');
  const x: ExecInstance = {
    id,
    containerId: rec.id,
    config: { ...body, Cmd: cmd },
    running: false,
    started: false,
    exitCode: null,
    pid: 0,
  };
  e.execs.set(id, x);
  e.events.publish('container', `exec_create: ${cmd.join(' ')}`, rec.id, {
    ...e.attributes(rec.id),
    execID: id,
  });
  ctx.reply.json(201, { Id: id });
}

function getExec(e: Engine, id: string): ExecInstance {
  const x = e.execs.get(id);
  if (!x) throw notFound(`No such exec instance: ${id}`);
  return x;
}

async function start(e: Engine, ctx: RequestCtx): Promise<void> {
  const x = getExec(e, ctx.params[0]!);
  const body =
    (await ctx.json<{ Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null }>()) ?? {};
  if (x.started) throw conflict(`Exec ${x.id} has already been started`);
  if (!e.runtime.has(x.containerId)) throw notFound(`No such container: ${x.containerId}`);
  const rec = e.runtime.inspect(x.containerId);
  if (rec.state.status !== 'running') throw conflict(`Container ${x.containerId} is not running`);
  const tty = body.Tty ?? x.config.Tty ?? false;
  const size = body.ConsoleSize ?? x.config.ConsoleSize ?? undefined;
  x.started = true;
  trace('exec starting');
  const { session: handle, stateDir } = await startExec(e.runtime, e.paths, x.containerId, x.id, {
    cmd: x.config.Cmd,
    env: x.config.Env ?? undefined,
    user: x.config.User || undefined,
    workingDir: x.config.WorkingDir || undefined,
    tty,
    stdin: x.config.AttachStdin === true,
    privileged: x.config.Privileged === true,
  }).catch((err: unknown) => {
    x.started = false;
    throw err;
  });
  trace('exec shim reported');
  x.handle = handle;
  x.pid = handle.pid;
  x.running = true;
  e.events.publish('container', `exec_start: ${x.config.Cmd.join(' ')}`, x.containerId, {
    ...e.attributes(x.containerId),
    execID: x.id,
  });
  let markStreamed: () => void = () => {};
  const streamed = new Promise<void>((r) => (markStreamed = r));
  const exited = handle.exit.then((s) => {
    trace('exec exit seen');
    x.exitCode = s.exitCode;
    x.running = false;
    x.client?.close();
    x.client = undefined;
    // Docker forgets finished exec instances after a while; so do we.
    setTimeout(() => e.execs.delete(x.id), 5 * 60_000).unref();
    e.events.publish('container', 'exec_die', x.containerId, {
      ...e.attributes(x.containerId),
      execID: x.id,
      exitCode: String(s.exitCode),
    });
    return s;
  });
  // The state dir goes once the exit is known and its log was read.
  void exited
    .then(async () => {
      await streamed;
      handle[Symbol.dispose]();
      await rm(stateDir, { recursive: true, force: true });
    })
    .catch((err: unknown) => e.log('warn', `cleaning up exec ${x.id}: ${String(err)}`));
  if (body.Detach) {
    markStreamed();
    ctx.reply.empty(200);
    return;
  }
  // The shim listens before it reports the pid, so one attempt suffices: a
  // missing socket means the process already ended, and its output is in the log.
  const client = await AttachClient.connect(join(stateDir, 'attach.sock'), 0).catch(() => undefined);
  x.client = client;
  if (client && tty) {
    const s = x.pendingSize ?? size;
    if (s && s[0] > 0 && s[1] > 0) client.resize(s[0], s[1]);
  }
  const h = ctx.reply.hijack(streamType(tty, ctx.version));
  const sink = new OutputSink(h.output, !tty);
  let detached = false;
  let onDetach: () => void = () => {};
  const detachedP = new Promise<void>((r) => (onDetach = r));
  if (client && x.config.AttachStdin) {
    const scanner = new DetachScanner(parseDetachKeys(x.config.DetachKeys));
    h.input.on('data', (chunk: Buffer) => {
      if (detached) return;
      const { data, detach } = scanner.push(chunk);
      if (data.length) client.stdin.write(data);
      if (detach) {
        detached = true;
        onDetach();
      }
    });
    h.input.on('end', () => {
      if (!tty) client.closeStdin();
    });
    h.input.on('error', () => {});
  } else {
    h.input.resume();
  }
  const aborted = new Promise<void>((r) => h.signal.addEventListener('abort', () => r(), { once: true }));
  const logPath = join(stateDir, 'exec-json.log');
  const want = (en: LogEntry): boolean =>
    en.stream === 'stdout' ? x.config.AttachStdout !== false : x.config.AttachStderr !== false;
  let output: Promise<void>;
  if (tty) {
    let got = 0;
    const counted = client
      ? (client.stdout.on('data', (d: Buffer) => (got += d.length)), pump(client.stdout, sink, 1))
      : Promise.resolve();
    client?.stderr.resume();
    output = (async () => {
      await exited;
      await Promise.race([counted, new Promise((r) => setTimeout(r, 1500))]);
      if (got === 0) {
        for (const en of (await new LogTail(logPath).read()).filter(want)) sink.write(1, Buffer.from(en.log));
      }
    })();
  } else {
    client?.stdout.resume();
    client?.stderr.resume();
    output = followLog(logPath, sink, want, exited, ctx.signal);
  }
  trace('exec attached');
  await Promise.race([output, detachedP, aborted]);
  trace('exec output done');
  markStreamed();
  client?.close();
  h.end();
}

/** Streams an exec's json log until the process exited and the log is drained. */
async function followLog(
  path: string,
  sink: OutputSink,
  want: (en: LogEntry) => boolean,
  exited: Promise<unknown>,
  signal: AbortSignal,
): Promise<void> {
  const tail = new LogTail(path);
  let done = false;
  const waker = new Waker();
  void exited.then(() => {
    done = true;
    waker.wake();
  });
  let watcher: ReturnType<typeof watch> | undefined;
  try {
    watcher = watch(join(path, '..'), waker.wake);
    watcher.on('error', () => {});
  } catch {
    // poll only
  }
  try {
    while (!signal.aborted) {
      const finished = done;
      for (const en of (await tail.read()).filter(want)) {
        if (!sink.write(en.stream === 'stderr' ? 2 : 1, Buffer.from(en.log))) await sink.drained();
      }
      if (finished) break;
      await waker.wait(200);
    }
  } finally {
    watcher?.close();
  }
}

async function resize(e: Engine, ctx: RequestCtx): Promise<void> {
  const x = getExec(e, ctx.params[0]!);
  const h = queryInt(ctx.query, 'h', 0);
  const w = queryInt(ctx.query, 'w', 0);
  if (h < 0 || w < 0 || h > 65535 || w > 65535) throw badRequest('invalid terminal size');
  if (x.client) x.client.resize(h, w);
  else x.pendingSize = [h, w];
  ctx.reply.empty(200);
}

async function inspect(e: Engine, ctx: RequestCtx): Promise<void> {
  ctx.reply.json(200, execInspect(getExec(e, ctx.params[0]!)));
}

export function execRoutes(r: Router, e: Engine): void {
  r.add('POST', '/containers/{id}/exec', (c) => create(e, c));
  r.add('POST', '/exec/{id}/start', (c) => start(e, c));
  r.add('POST', '/exec/{id}/resize', (c) => resize(e, c));
  r.add('GET', '/exec/{id}/json', (c) => inspect(e, c));
  // Exec records go with their container.
  e.events.on('event', (ev) => {
    if (ev.Action !== 'destroy') return;
    for (const [id, x] of e.execs) if (x.containerId === ev.Actor.ID) e.execs.delete(id);
  });
}
