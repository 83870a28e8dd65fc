// Container I/O: attach (hijacked; logs + stream; stdin half-close; detach
// keys) and logs (follow, since, until, timestamps, tail, stdout/stderr).
// Non-TTY output is multiplexed (8-byte frames); a TTY's is raw.
import { watch } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { AttachClient, type ContainerRecord, type LogEntry } from '../runtime/index.js';
import { badRequest, conflict } from './errors.js';
import type { Engine } from './engine.js';
import { MUX_STREAM, RAW_STREAM, type RequestCtx } from './http.js';
import { parseTimestamp, queryBool } from './query.js';
import type { Router } from './router.js';
import { DetachScanner, LogTail, OutputSink, Waker, parseDetachKeys } from './streams.js';

function running(rec: ContainerRecord): boolean {
  return rec.state.status === 'running' || rec.state.status === 'paused';
}

export function streamType(tty: boolean, version: number): string {
  return !tty && version >= 1.42 ? MUX_STREAM : RAW_STREAM;
}

/** Forwards a readable into the sink with backpressure; resolves at its end. */
export function pump(src: Readable, sink: OutputSink, stream: 1 | 2): Promise<void> {
  return new Promise((resolve) => {
    src.on('data', (d: Buffer) => {
      if (!sink.write(stream, d)) {
        src.pause();
        void sink.drained().then(() => src.resume());
      }
    });
    src.on('end', resolve);
    src.on('close', resolve);
    src.on('error', () => resolve());
  });
}

function entryBytes(en: LogEntry, timestamps: boolean): Buffer {
  return Buffer.from(timestamps ? `${en.time} ${en.log}` : en.log);
}

async function logs(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const q = ctx.query;
  const wantOut = queryBool(q, 'stdout');
  const wantErr = queryBool(q, 'stderr');
  if (!wantOut && !wantErr) throw badRequest('Bad parameters: you must choose at least one stream');
  const follow = queryBool(q, 'follow');
  const timestamps = queryBool(q, 'timestamps');
  const since = parseTimestamp(q.get('since'));
  const until = parseTimestamp(q.get('until'));
  const tailRaw = q.get('tail') ?? 'all';
  const tailN = tailRaw === 'all' || tailRaw === '' ? -1 : Number(tailRaw);
  if (!Number.isFinite(tailN)) throw badRequest(`invalid value for tail: ${tailRaw}`);
  const tty = rec.config.Tty === true;
  const keep = (en: LogEntry): boolean => {
    if (en.stream === 'stdout' ? !wantOut : !wantErr) return false;
    const t = Date.parse(en.time);
    if (since !== undefined && t < since) return false;
    if (until !== undefined && t > until) return false;
    return true;
  };
  const tail = new LogTail(rec.logPath);
  let first = (await tail.read()).filter(keep);
  if (tailN >= 0) first = tailN === 0 ? [] : first.slice(-tailN);
  const out = ctx.reply.stream(200, streamType(tty, ctx.version));
  const sink = new OutputSink(out, !tty);
  const emit = async (entries: LogEntry[]): Promise<void> => {
    for (const en of entries) {
      if (!sink.write(en.stream === 'stderr' ? 2 : 1, entryBytes(en, timestamps))) await sink.drained();
    }
  };
  await emit(first);
  const current = e.runtime.has(rec.id) ? e.runtime.inspect(rec.id) : rec;
  if (!follow || !running(current) || ctx.signal.aborted) {
    out.end();
    return;
  }
  // Follow until the container dies (then drain), the client leaves, or `until` passes.
  let stopped = false;
  const waker = new Waker();
  const onEvent = (ev: { Action: string; Actor: { ID: string } }): void => {
    if (ev.Actor.ID === rec.id && (ev.Action === 'die' || ev.Action === 'destroy')) {
      stopped = true;
      waker.wake();
    }
  };
  e.events.on('event', onEvent);
  // It may have died between the check above and the subscription.
  if (!e.runtime.has(rec.id) || !running(e.runtime.inspect(rec.id))) stopped = true;
  let watcher: ReturnType<typeof watch> | undefined;
  try {
    watcher = watch(rec.logPath, waker.wake);
    watcher.on('error', () => {});
  } catch {
    // no inotify: the timer below polls
  }
  const onAbort = (): void => waker.wake();
  ctx.signal.addEventListener('abort', onAbort);
  try {
    while (!ctx.signal.aborted) {
      await emit((await tail.read()).filter(keep));
      if (stopped) break;
      if (until !== undefined && Date.now() > until) break;
      await waker.wait(500);
    }
    if (!ctx.signal.aborted) await emit((await tail.read()).filter(keep));
  } finally {
    e.events.off('event', onEvent);
    ctx.signal.removeEventListener('abort', onAbort);
    watcher?.close();
    out.end();
  }
}

async function attach(e: Engine, ctx: RequestCtx): Promise<void> {
  const rec = e.resolve(ctx.params[0]!);
  const q = ctx.query;
  const stream = queryBool(q, 'stream');
  const wantLogs = queryBool(q, 'logs');
  const wantIn = queryBool(q, 'stdin');
  const wantOut = queryBool(q, 'stdout');
  const wantErr = queryBool(q, 'stderr');
  const keys = parseDetachKeys(q.get('detachKeys'));
  if (stream && !running(rec) && rec.state.status !== 'created') {
    throw conflict('You cannot attach to a stopped container, start it first');
  }
  if (rec.state.status === 'paused' && stream) {
    throw conflict('You cannot attach to a paused container, unpause it first');
  }
  // The body (dockerode sends its options) is not stdin: drop it first.
  await ctx.json<unknown>().catch(() => undefined);
  const client = stream
    ? await AttachClient.connect(join(e.runtime.stateDir(rec.id), 'attach.sock'))
    : undefined;
  const tty = rec.config.Tty === true;
  const h = ctx.reply.hijack(streamType(tty, ctx.version));
  const sink = new OutputSink(h.output, !tty);
  if (wantLogs) {
    const entries = (await new LogTail(rec.logPath).read()).filter((en) =>
      en.stream === 'stdout' ? wantOut : wantErr,
    );
    for (const en of entries) {
      if (!sink.write(en.stream === 'stderr' ? 2 : 1, Buffer.from(en.log))) await sink.drained();
    }
  }
  if (!client) {
    h.input.resume();
    h.end();
    return;
  }
  let detached = false;
  let onDetach: () => void = () => {};
  const detachedP = new Promise<void>((r) => (onDetach = r));
  const outDone = Promise.all([
    wantOut
      ? pump(client.stdout, sink, 1)
      : (client.stdout.resume(), new Promise<void>((r) => client.stdout.on('end', r))),
    wantErr
      ? pump(client.stderr, sink, 2)
      : (client.stderr.resume(), new Promise<void>((r) => client.stderr.on('end', r))),
  ]);
  if (wantIn && rec.config.OpenStdin) {
    const scanner = new DetachScanner(keys);
    h.input.on('data', (chunk: Buffer) => {
      if (detached) return;
      const { data, detach } = scanner.push(chunk);
      if (data.length) {
        if (!client.stdin.write(data)) {
          h.input.pause();
          client.stdin.once('drain', () => h.input.resume());
        }
      }
      if (detach) {
        detached = true;
        onDetach();
      }
    });
    h.input.on('end', () => {
      if (rec.config.StdinOnce && !tty) client.closeStdin();
    });
    h.input.on('error', () => {});
  } else {
    h.input.resume();
  }
  const aborted = new Promise<void>((r) => h.signal.addEventListener('abort', () => r(), { once: true }));
  await Promise.race([outDone, detachedP, aborted]);
  client.close();
  if (detached) e.events.publish('container', 'detach', rec.id, e.attributes(rec.id));
  h.end();
}

export function containerIoRoutes(r: Router, e: Engine): void {
  r.add('GET', '/containers/{id}/logs', (c) => logs(e, c));
  r.add('POST', '/containers/{id}/attach', (c) => attach(e, c));
}
