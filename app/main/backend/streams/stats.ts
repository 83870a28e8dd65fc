// Stats stream: docker's stats JSON stream -> StatsSample per tick.
import type Dockerode from 'dockerode';
import type { Readable } from 'node:stream';
import type { StatsSample, StreamArgs } from '../../../shared/ipc.js';
import { describeError } from '../docker-client.js';
import { LineSplitter, type StreamSink } from './sink.js';
import type { StreamSession } from './logs.js';

type Raw = Dockerode.ContainerStats & {
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
};

export function toSample(s: Raw): StatsSample {
  const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats?.online_cpus || s.cpu_stats?.cpu_usage?.percpu_usage?.length || 1;
  const cpuPercent = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * cpus * 100 : 0;
  let netRx = 0;
  let netTx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    netRx += n.rx_bytes ?? 0;
    netTx += n.tx_bytes ?? 0;
  }
  let blkRead = 0;
  let blkWrite = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op.toLowerCase();
    if (op === 'read') blkRead += e.value;
    if (op === 'write') blkWrite += e.value;
  }
  const cache = (s.memory_stats?.stats as Record<string, number> | undefined)?.['cache'] ?? 0;
  return {
    time: s.read ? Date.parse(s.read) || Date.now() : Date.now(),
    cpuPercent,
    memUsage: Math.max(0, (s.memory_stats?.usage ?? 0) - cache),
    memLimit: s.memory_stats?.limit ?? 0,
    netRx,
    netTx,
    blkRead,
    blkWrite,
    pids: s.pids_stats?.current ?? 0,
  };
}

export async function openStats(
  docker: Dockerode,
  args: StreamArgs<'stats'>,
  sink: StreamSink<StatsSample>,
): Promise<StreamSession<never>> {
  let stream: Readable | undefined;
  try {
    stream = (await docker.getContainer(args.id).stats({ stream: true })) as unknown as Readable;
    const lines = new LineSplitter();
    const s = stream;
    s.on('data', (chunk: Buffer) =>
      lines.write(chunk, (line) => {
        if (!line.trim()) return;
        try {
          sink.push(toSample(JSON.parse(line) as Raw));
        } catch {
          /* a partial document: skip */
        }
      }),
    );
    s.on('end', () => sink.end());
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
