import { describe, expect, it } from 'vitest';
import { SourceError, streamInto } from './source.ts';

const DATA = Uint8Array.from({ length: 3_000_000 }, (_, i) => (i * 31) & 0xff);

let byobPulls = 0;

/**
 * `data` in pieces of `piece` bytes: as a byte stream (as fetch bodies are), or as a plain
 * stream of chunks (as some polyfills and libraries give).
 */
function pieces(bytes: boolean) {
  return (
    data: Uint8Array,
    piece: number,
    onCancel?: (reason: unknown) => void,
  ): ReadableStream<Uint8Array> => {
    let pos = 0;
    const cancel = (reason: unknown): void => onCancel?.(reason);
    if (!bytes)
      return new ReadableStream({
        cancel,
        pull(c) {
          if (pos >= data.byteLength) return c.close();
          c.enqueue(data.slice(pos, pos + piece));
          pos += piece;
        },
      });
    return new ReadableStream({
      type: 'bytes',
      cancel,
      pull(c) {
        if (pos >= data.byteLength) {
          c.close();
          c.byobRequest?.respond(0);
          return;
        }
        const req = c.byobRequest;
        if (req?.view) {
          byobPulls++;
          const view = new Uint8Array(req.view.buffer, req.view.byteOffset, req.view.byteLength);
          const n = Math.min(view.byteLength, piece, data.byteLength - pos);
          view.set(data.subarray(pos, pos + n));
          pos += n;
          req.respond(n);
        } else {
          const n = Math.min(piece, data.byteLength - pos);
          c.enqueue(data.slice(pos, pos + n));
          pos += n;
        }
      },
    });
  };
}
const byteStream = pieces(true);
const chunkStream = pieces(false);

describe('streamInto', () => {
  for (const [kind, make] of [
    ['byte stream (BYOB)', byteStream],
    ['chunk stream', chunkStream],
  ] as const) {
    it(`fills a view inside a larger buffer from a ${kind}`, async () => {
      byobPulls = 0;
      const buffer = new ArrayBuffer(DATA.byteLength + 100);
      const target = new Uint8Array(buffer, 40, DATA.byteLength);
      await streamInto(make(DATA, 700_000), target, 'x', { byob: true });
      expect(Buffer.compare(target, DATA)).toBe(0);
      // The bytes around the view are untouched, and the buffer is not detached.
      expect(buffer.byteLength).toBe(DATA.byteLength + 100);
      expect(new Uint8Array(buffer, 0, 40).every((b) => b === 0)).toBe(true);
      // A byte stream is read into the caller's (bounce) buffers, not into chunks of its own.
      expect(byobPulls > 0).toBe(make === byteStream);
    });

    it(`rejects a ${kind} that is too long or too short`, async () => {
      await expect(
        streamInto(make(DATA, 65536), new Uint8Array(DATA.byteLength - 1), 'f', { byob: true }),
      ).rejects.toThrow(/more bytes than asked/);
      const short = streamInto(make(DATA.subarray(0, 1000), 65536), new Uint8Array(2000), 'f bytes 0-1999', {
        byob: true,
      });
      await expect(short).rejects.toThrow(SourceError);
      await expect(short).rejects.toThrow('f bytes 0-1999: got 1000 bytes of 2000');
    });

    it(`cancels a ${kind} that is too long, so that its source stops`, async () => {
      let cancelled: unknown;
      const stream = make(DATA, 65536, (reason) => void (cancelled = reason));
      const err = await streamInto(stream, new Uint8Array(100_000), 'f', { byob: true }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SourceError);
      expect(cancelled).toBe(err);
      expect(stream.locked).toBe(false);
    });
  }
});
