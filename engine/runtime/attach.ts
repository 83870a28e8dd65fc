// Client side of the shim's attach socket (native/README.md, "Attach
// protocol"): Docker's 8-byte frame header both ways.
//
//   stdout / stderr   demultiplexed output (a TTY's output all arrives on stdout)
//   stdin             a Writable; each write is one type-0 frame, end() sends
//                     type 3 (close stdin) but keeps output flowing
//   resize()          a type-4 frame
//
// Backpressure follows undici's loop: when stdout or stderr refuses a push the
// socket is paused; reading from either resumes it. Output that nobody reads
// therefore stalls only this client, never the container (the shim drops a
// client whose buffer overflows).
import { connect, type Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { isErrno, wharfError } from '../errors.js';

export const FrameType = { Stdin: 0, Stdout: 1, Stderr: 2, CloseStdin: 3, Resize: 4 } as const;

export function encodeFrame(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Incremental decoder for a stream of frames. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Array<{ type: number; payload: Buffer }> {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Array<{ type: number; payload: Buffer }> = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) break;
      out.push({ type: this.buf[0] ?? 0, payload: this.buf.subarray(8, 8 + len) });
      this.buf = this.buf.subarray(8 + len);
    }
    return out;
  }
}

function connectOnce(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export class AttachClient implements AsyncDisposable {
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly stdin: Writable;
  private readonly decoder = new FrameDecoder();
  private stdinClosed = false;

  private constructor(private readonly socket: Socket) {
    const resume = (): void => {
      if (this.socket.isPaused()) this.socket.resume();
    };
    this.stdout = new Readable({ read: resume });
    this.stderr = new Readable({ read: resume });
    this.stdin = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        if (chunk.length === 0) return cb();
        this.socket.write(encodeFrame(FrameType.Stdin, chunk), cb);
      },
      final: (cb) => {
        this.closeStdin();
        cb();
      },
    });
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.decoder.push(chunk)) {
        const target = f.type === FrameType.Stderr ? this.stderr : this.stdout;
        if (!target.push(f.payload)) this.socket.pause();
      }
    });
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.stdout.push(null);
      this.stderr.push(null);
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', (err) => {
      // The shim closing while our last frames sit unread in its queue shows up
      // as a reset; everything it sent is already delivered, so that is an end.
      if (isErrno(err, 'ECONNRESET') || isErrno(err, 'EPIPE')) return end();
      this.stdout.destroy(err);
      this.stderr.destroy(err);
    });
    // Writes on a dead socket surface through stdin's callback, not as a crash.
    this.stdin.on('error', () => {});
  }

  /** Connects to an attach socket, retrying briefly while the shim is still setting it up. */
  static async connect(path: string, timeoutMs = 2000): Promise<AttachClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return new AttachClient(await connectOnce(path));
      } catch (err) {
        const retry = isErrno(err, 'ENOENT') || isErrno(err, 'ECONNREFUSED');
        if (!retry || Date.now() >= deadline) {
          throw wharfError('ATTACH_FAILED', `${path}: ${(err as Error).message}`, err);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  /** Sends EOF to the container's stdin; output keeps flowing. */
  closeStdin(): void {
    if (this.stdinClosed || this.socket.destroyed) return;
    this.stdinClosed = true;
    this.socket.write(encodeFrame(FrameType.CloseStdin));
  }

  /** Sets the terminal size (TTY containers only; ignored otherwise). */
  resize(rows: number, cols: number): void {
    if (this.socket.destroyed) return;
    const p = Buffer.alloc(4);
    p.writeUInt16BE(rows, 0);
    p.writeUInt16BE(cols, 2);
    this.socket.write(encodeFrame(FrameType.Resize, p));
  }

  /** Resolves when the shim closes the connection (the container's output has ended). */
  closed(): Promise<void> {
    if (this.socket.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  close(): void {
    this.socket.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}

/** Reads a Readable to the end as one Buffer. */
export async function readToEnd(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
