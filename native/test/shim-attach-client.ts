// A raw client of wharf-shim's attach socket for the tests (native/README.md,
// "Attach protocol"): it collects output in memory and can send any frame,
// including ones the engine's AttachClient never would.
import { connect, type Socket } from 'node:net';
import { FrameDecoder, FrameType, encodeFrame } from '../../engine/runtime/attach.js';
import { waitFor } from './bundle.js';

export class AttachClient {
  private readonly out: Buffer[] = [];
  private readonly err: Buffer[] = [];
  private readonly decoder = new FrameDecoder();
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  static connect(path: string): Promise<AttachClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(new AttachClient(s)));
      s.once('error', reject);
    });
  }

  get stdout(): Buffer {
    return Buffer.concat(this.out);
  }

  get stderr(): Buffer {
    return Buffer.concat(this.err);
  }

  private onData(d: Buffer): void {
    for (const { type, payload } of this.decoder.push(d)) {
      if (type === FrameType.Stdout) this.out.push(payload);
      else if (type === FrameType.Stderr) this.err.push(payload);
    }
  }

  send(type: number, payload: Buffer = Buffer.alloc(0)): void {
    this.socket.write(encodeFrame(type, payload));
  }

  stdin(data: string | Buffer): void {
    this.send(FrameType.Stdin, Buffer.from(data));
  }

  closeStdin(): void {
    this.send(FrameType.CloseStdin);
  }

  resize(rows: number, cols: number): void {
    const p = Buffer.alloc(4);
    p.writeUInt16BE(rows, 0);
    p.writeUInt16BE(cols, 2);
    this.send(FrameType.Resize, p);
  }

  waitStdout(pattern: string | RegExp, timeoutMs = 20000): Promise<string> {
    return waitFor(
      `stdout matching ${String(pattern)} (have ${JSON.stringify(this.stdout.toString('utf8').slice(-200))})`,
      () => {
        const s = this.stdout.toString('utf8');
        return (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s)) ? s : undefined;
      },
      timeoutMs,
    );
  }

  waitClosed(timeoutMs = 20000): Promise<true> {
    return waitFor('attach connection to close', () => (this.closed ? true : undefined), timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}
