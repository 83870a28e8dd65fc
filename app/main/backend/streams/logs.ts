// Logs stream: docker logs (follow, tail, timestamps) -> LogLine batches.
import type Dockerode from 'dockerode';
import type { Readable } from 'node:stream';
import type { LogLine, StreamArgs } from '../../../shared/ipc.js';
import { describeError } from '../docker-client.js';
import { Demuxer } from './demux.js';
import { LineSplitter, type StreamSink } from './sink.js';

export interface StreamSession<U> {
  receive(msg: U): void;
  close(): void;
}

export async function openLogs(
  docker: Dockerode,
  args: StreamArgs<'logs'>,
  sink: StreamSink<LogLine>,
): Promise<StreamSession<never>> {
  const c = docker.getContainer(args.id);
  let stream: Readable | undefined;
  const close = (): void => {
    stream?.destroy();
    sink.end();
  };
  try {
    const info = await c.inspect();
    const raw = (await c.logs({
      follow: true,
      stdout: true,
      stderr: true,
      timestamps: args.timestamps,
      tail: args.tail > 0 ? args.tail : 'all',
    } as Dockerode.ContainerLogsOptions & { follow: true })) as unknown as Readable;
    stream = raw;
    const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
    const emit = (s: 'stdout' | 'stderr') => (line: string) => {
      let ts: string | undefined;
      let text = line;
      if (args.timestamps) {
        const sp = line.indexOf(' ');
        if (sp > 0 && sp < 40) {
          ts = line.slice(0, sp);
          text = line.slice(sp + 1);
        }
      }
      sink.push({ stream: s, ...(ts ? { ts } : {}), text }, text.length + 16);
    };
    const demux = new Demuxer((s, data) => splitters[s].write(data, emit(s)));
    raw.on('data', (chunk: Buffer) => {
      if (info.Config.Tty) splitters.stdout.write(chunk, emit('stdout'));
      else demux.write(chunk);
    });
    raw.on('end', () => {
      splitters.stdout.end(emit('stdout'));
      splitters.stderr.end(emit('stderr'));
      sink.end();
    });
    raw.on('error', (err) => sink.end(describeError(err).message));
    sink.attach({ pause: () => raw.pause(), resume: () => raw.resume() });
  } catch (err) {
    sink.end(describeError(err).message);
  }
  return { receive: () => {}, close };
}
