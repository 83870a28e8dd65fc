// Terminal stream: exec a shell (bash, else sh) with a TTY in the container;
// bytes down as Uint8Array, keystrokes and resizes up.
import type Dockerode from 'dockerode';
import type { Duplex } from 'node:stream';
import type { StreamArgs, StreamUp } from '../../../shared/ipc.js';
import { describeError } from '../docker-client.js';
import type { StreamSink } from './sink.js';
import type { StreamSession } from './logs.js';

export const SHELL_CMD = ['sh', '-c', 'command -v bash >/dev/null && exec bash || exec sh'];

export async function openTerminal(
  docker: Dockerode,
  args: StreamArgs<'terminal'>,
  sink: StreamSink<Uint8Array>,
): Promise<StreamSession<StreamUp<'terminal'>>> {
  let stream: Duplex | undefined;
  let exec: Dockerode.Exec | undefined;
  let size = { cols: args.cols, rows: args.rows };
  const pending: string[] = [];
  const resize = (cols: number, rows: number): void => {
    size = { cols, rows };
    exec?.resize({ h: rows, w: cols }).catch(() => {});
  };
  const session: StreamSession<StreamUp<'terminal'>> = {
    receive(msg) {
      if (msg.type === 'input') {
        if (stream) stream.write(msg.data);
        else pending.push(msg.data);
      } else if (msg.type === 'resize') {
        if (Number.isInteger(msg.cols) && Number.isInteger(msg.rows) && msg.cols > 0 && msg.rows > 0) {
          resize(msg.cols, msg.rows);
        }
      }
    },
    close() {
      stream?.end();
      stream?.destroy();
      sink.end();
    },
  };
  try {
    exec = await docker.getContainer(args.id).exec({
      Cmd: SHELL_CMD,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
      Env: ['TERM=xterm-256color', 'COLORTERM=truecolor'],
      ConsoleSize: [size.rows, size.cols],
    } as Dockerode.ExecCreateOptions);
    const s = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
    stream = s;
    if (sink.closed) {
      s.destroy();
      return session;
    }
    resize(size.cols, size.rows);
    for (const p of pending.splice(0)) s.write(p);
    s.on('data', (chunk: Buffer) => sink.push(new Uint8Array(chunk), chunk.length));
    s.on('end', () => sink.end());
    s.on('close', () => sink.end());
    s.on('error', (err) => sink.end(describeError(err).message));
    sink.attach({ pause: () => s.pause(), resume: () => s.resume() });
  } catch (err) {
    sink.end(describeError(err).message);
  }
  return session;
}
