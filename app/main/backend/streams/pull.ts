// Pull stream: docker pull's JSON progress -> PullProgress per layer.
import type Dockerode from 'dockerode';
import type { Readable } from 'node:stream';
import type { PullProgress, StreamArgs } from '../../../shared/ipc.js';
import { describeError } from '../docker-client.js';
import { LineSplitter, type StreamSink } from './sink.js';
import type { StreamSession } from './logs.js';

interface RawProgress {
  id?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

export async function openPull(
  docker: Dockerode,
  args: StreamArgs<'pull'>,
  sink: StreamSink<PullProgress>,
): Promise<StreamSession<never>> {
  let stream: Readable | undefined;
  let failed: string | undefined;
  try {
    const image = /[:@]/.test(args.image.split('/').pop() ?? '') ? args.image : `${args.image}:latest`;
    stream = (await docker.pull(image)) as unknown as Readable;
    const lines = new LineSplitter();
    const s = stream;
    s.on('data', (chunk: Buffer) =>
      lines.write(chunk, (line) => {
        if (!line.trim()) return;
        let p: RawProgress;
        try {
          p = JSON.parse(line) as RawProgress;
        } catch {
          return;
        }
        const error = p.error ?? p.errorDetail?.message;
        if (error) failed = error;
        sink.push({
          id: p.id ?? '',
          status: p.status ?? (error ? 'Error' : ''),
          ...(p.progressDetail?.current !== undefined ? { current: p.progressDetail.current } : {}),
          ...(p.progressDetail?.total !== undefined ? { total: p.progressDetail.total } : {}),
          ...(error ? { error } : {}),
        });
      }),
    );
    s.on('end', () => sink.end(failed));
    s.on('error', (err) => sink.end(describeError(err).message));
    sink.attach({ pause: () => s.pause(), resume: () => s.resume() });
  } catch (err) {
    sink.end(describeError(err).message);
  }
  return {
    receive: () => {},
    close: () => {
      stream?.destroy();
      sink.end();
    },
  };
}
