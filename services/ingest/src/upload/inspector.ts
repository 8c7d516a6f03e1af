import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import type { Compression, DatasetContract, RawFormat } from '@peak/contracts';
import { IngestError } from '../errors.js';
import type { Declared } from './declared.js';
import { FIRST_LINE_MAX, sniff } from './sniff.js';

/** Raw bytes held back at most while deciding: only a pathological gzip stream gets this far. */
const HOLD_LIMIT = 4 * FIRST_LINE_MAX;

export type Inspection = { format: RawFormat; compression: Compression };
export type InspectorOptions = { declared: Declared; contract: DatasetContract; maxBytes: number };

/**
 * Sits between the request and the lake. It counts and hashes the raw bytes and stops at the size
 * limit; decompresses a gzip body alongside, to sniff its start and to catch a truncated or corrupt
 * file; and holds the first bytes back until it has decided what the upload is, because the lake key
 * (its extension) depends on that. The bytes it passes on are exactly the bytes it received.
 */
export class UploadInspector extends Transform {
  /** Resolves once the format is known (nothing has been passed on before); rejects with the refusal. */
  readonly inspection: Promise<Inspection>;
  /** Why the upload was refused, once it was. */
  refusal: IngestError | undefined;
  bytes = 0;
  /** SHA-256 of the raw bytes, once they have all passed. */
  contentSha256: string | undefined;

  private readonly hash = createHash('sha256');
  private held: Buffer[] = [];
  private heldBytes = 0;
  private head: Buffer[] = [];
  private mode: 'unknown' | 'plain' | 'gzip' = 'unknown';
  private gunzip: Gunzip | undefined;
  private decided: Inspection | undefined;
  private settle!: { resolve: (i: Inspection) => void; reject: (err: Error) => void };

  constructor(private readonly opts: InspectorOptions) {
    super();
    this.inspection = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.inspection.catch(() => undefined); // also reported through `refusal` and the stream error
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.opts.maxBytes) {
      return callback(this.refuse('UPLOAD_TOO_LARGE', `The upload is larger than ${this.opts.maxBytes} bytes (MAX_UPLOAD_BYTES); split the export or gzip it.`));
    }
    this.hash.update(chunk);
    if (this.decided) return this.decode(chunk, () => callback(null, chunk));
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    // Judged after decoding: one big first chunk of plain text decides the format by itself.
    const afterDecode = () => {
      if (this.decided || this.refusal || this.heldBytes <= HOLD_LIMIT) return callback();
      callback(this.refuse('GZIP_CORRUPT', 'The gzip stream yields almost nothing from its first 4 MiB; compress the export again.'));
    };
    if (this.mode !== 'unknown') return this.decode(chunk, afterDecode);
    if (this.heldBytes < 2) return callback();
    const start = Buffer.concat(this.held);
    if (!this.chooseMode(start)) return callback(this.refusal);
    this.decode(start, afterDecode);
  }

  override _flush(callback: TransformCallback): void {
    const finish = () => {
      if (!this.decided) this.decide(true);
      if (this.refusal) return callback(this.refusal);
      this.contentSha256 = this.hash.digest('hex');
      callback();
    };
    if (this.mode === 'unknown' && !this.chooseMode(Buffer.concat(this.held))) return callback(this.refusal);
    if (!this.gunzip) return finish();
    this.gunzip.once('end', finish);
    this.gunzip.end();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.gunzip?.destroy();
    callback(err);
  }

  /** gzip when the body starts with its magic bytes; a body declared gzip must. False when refused. */
  private chooseMode(start: Buffer): boolean {
    const magic = start[0] === 0x1f && start[1] === 0x8b;
    if (this.opts.declared.gzip && !magic && start.length > 0) {
      this.refuse(
        'NOT_GZIP',
        'The upload is declared gzip (Content-Encoding: gzip or Content-Type: application/gzip) but does not start with the gzip bytes 1f 8b; send it uncompressed without that header, or gzip it.',
      );
      return false;
    }
    this.mode = magic ? 'gzip' : 'plain';
    if (magic) {
      this.gunzip = createGunzip();
      this.gunzip.on('data', (data: Buffer) => this.onDecoded(data));
      this.gunzip.on('error', (err) =>
        this.fail(this.refuse('GZIP_CORRUPT', `The gzip data is truncated or corrupt (${err.message}); compress the export again and upload it whole.`)),
      );
    }
    return true;
  }

  /** Feeds raw bytes to the decoder, calling `next` once it can take more. */
  private decode(raw: Buffer, next: () => void): void {
    if (!this.gunzip) {
      this.onDecoded(raw);
      return next();
    }
    if (this.gunzip.write(raw)) next();
    else this.gunzip.once('drain', next);
  }

  private onDecoded(data: Buffer): void {
    if (this.decided || this.refusal) return; // past the start, decoded bytes only prove the stream is sound
    this.head.push(data);
    this.decide(false);
  }

  private decide(complete: boolean): void {
    try {
      const format = sniff(Buffer.concat(this.head), complete, this.opts.declared, this.opts.contract);
      if (!format) return;
      this.decided = { format, compression: this.gunzip ? 'gzip' : 'none' };
      this.head = [];
      for (const chunk of this.held) this.push(chunk);
      this.held = [];
      this.settle.resolve(this.decided);
    } catch (err) {
      if (!(err instanceof IngestError)) throw err;
      this.fail(err);
    }
  }

  private refuse(code: IngestError['code'], message: string): IngestError {
    this.refusal ??= new IngestError(code, message);
    this.settle.reject(this.refusal);
    return this.refusal;
  }

  private fail(err: IngestError): void {
    this.refusal ??= err;
    this.settle.reject(this.refusal);
    this.destroy(this.refusal);
  }
}
