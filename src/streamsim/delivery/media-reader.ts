// Reads a stream's media ahead of its send times: whole runs of hint records (up to
// CHUNK_BYTES) per disk read, the current run plus one prefetched, so the send path never
// blocks on the disk.
import { open, type FileHandle } from "node:fs/promises";
import type { HintRecords } from "../content/hint-index";

const CHUNK_BYTES = 256 * 1024;

interface Chunk {
  first: number;
  /** one past the last record */
  end: number;
  fileOffset: number;
  data: Buffer;
}

export class MediaReader {
  private fh: FileHandle | undefined;
  private current: Chunk | undefined;
  private next: Chunk | undefined;
  private loading: number | undefined;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly records: HintRecords,
    /** a read finished: the stream may now have data it was waiting for */
    private readonly onReady: () => void,
    private readonly onError: (err: Error) => void,
  ) {}

  /** The payload of record i, or undefined (a read has been started) when not in memory yet. */
  get(i: number): Buffer | undefined {
    if (this.next && i >= this.next.first && i < this.next.end && !(this.current && i >= this.current.first && i < this.current.end)) {
      this.current = this.next;
      this.next = undefined;
    }
    const c = this.current;
    if (c && i >= c.first && i < c.end) {
      if (!this.next && c.end < this.records.ticks.length) this.load(c.end);
      const off = this.records.offset[i]! - c.fileOffset;
      return c.data.subarray(off, off + this.records.length[i]!);
    }
    this.load(i);
    return undefined;
  }

  private load(first: number): void {
    if (this.closed || this.loading !== undefined) return;
    const n = this.records.ticks.length;
    let end = first;
    let bytes = 0;
    while (end < n && (end === first || bytes + this.records.length[end]! <= CHUNK_BYTES)) bytes += this.records.length[end++]!;
    const fileOffset = this.records.offset[first]!;
    this.loading = first;
    void this.read(fileOffset, bytes).then(
      (data) => {
        this.loading = undefined;
        if (this.closed) return;
        const chunk: Chunk = { first, end, fileOffset, data };
        if (this.current && first === this.current.end) this.next = chunk;
        else this.current = chunk;
        this.onReady();
      },
      (err: unknown) => {
        this.loading = undefined;
        if (!this.closed) this.onError(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  private async read(position: number, length: number): Promise<Buffer> {
    if (!this.fh) {
      const fh = await open(this.path, "r");
      if (this.closed) {
        await fh.close();
        throw new Error("closed");
      }
      this.fh = fh;
    }
    const buf = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.fh.read(buf, 0, length, position);
    if (bytesRead !== length) throw new Error(`${this.path}: short read at ${position} (${bytesRead}/${length}); the media changed since ingest`);
    return buf;
  }

  async close(): Promise<void> {
    this.closed = true;
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }
}
