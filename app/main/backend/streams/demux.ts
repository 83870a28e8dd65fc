// Docker's multiplexed stdout/stderr framing (8-byte header: stream, 0, 0, 0,
// big-endian length) for non-TTY logs and attach streams.
export class Demuxer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly out: (stream: 'stdout' | 'stderr', data: Buffer) => void) {}

  write(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const kind = this.buf[0];
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) break;
      const payload = this.buf.subarray(8, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      this.out(kind === 2 ? 'stderr' : 'stdout', payload);
    }
  }
}
