/**
 * A Hub repo as a ModelSource, pinned to one commit: the commit sha is resolved once (model
 * info) and every listing and file read names that sha, so a push during a merge cannot mix
 * two versions of a model. @huggingface/hub resolves each file (size, ETag, URL, whether it is
 * stored with Xet); a range of a plain file is then one GET with a Range header, its body read
 * straight into the caller's buffer, and a range of a Xet file comes from the library's
 * XetBlob. Everything is created here in the worker that reads (a Hub Blob cannot be posted to
 * a worker).
 *
 * Each file's size and ETag are fetched once (one `bytes=0-0` probe, shared by every read of
 * the file); each read must return exactly the bytes asked, with that ETag, or it is retried
 * and finally fails with the model, file and byte range in the message.
 */
import {
  downloadFile,
  fileDownloadInfo,
  listFiles,
  modelInfo,
  type FileDownloadInfoOutput,
} from '@huggingface/hub';
import {
  checkFileSize,
  MAX_SIDE_FILE_BYTES,
  SourceError,
  streamInto,
  type ByteSource,
  type ModelSource,
} from '../source.ts';
import { HubProtocolError, HubTransientError } from './errors.ts';
import type { HubClient } from './hub-client.ts';
import { parseRepoRef } from './repo-ref.ts';

export interface HubSourceOptions {
  /** Use the Xet protocol for xet-backed files (default true; the Hub's fast path). */
  readonly xet?: boolean;
}

const COMMIT_SHA = /^[0-9a-f]{40}$/;

/** Resolves `id` (org/name[@revision]) to its commit and returns the pinned source. */
export async function openHubModel(
  client: HubClient,
  id: string,
  options: HubSourceOptions = {},
  signal?: AbortSignal,
): Promise<ModelSource> {
  const { repo, revision } = parseRepoRef(id);
  const info = await client.run({ model: id, what: `${id}: model info`, signal }, (fetch) =>
    modelInfo({
      name: repo,
      revision: revision ?? 'main',
      additionalFields: ['sha'],
      hubUrl: client.hubUrl,
      fetch,
    }),
  );
  if (typeof info.sha !== 'string' || !COMMIT_SHA.test(info.sha)) {
    throw new HubProtocolError(
      `${id}: the hub gave no commit sha for ${revision ?? 'main'}, so reads cannot be pinned`,
    );
  }
  return new HubModelSource(client, id, repo, info.sha, options);
}

class HubModelSource implements ModelSource {
  private listing: Promise<Map<string, number>> | undefined;
  private readonly infos = new Map<string, Promise<FileDownloadInfoOutput | null>>();

  constructor(
    private readonly client: HubClient,
    readonly id: string,
    private readonly repo: string,
    readonly revision: string,
    private readonly options: HubSourceOptions,
  ) {}

  async listFiles(signal?: AbortSignal): Promise<readonly string[]> {
    return [...(await this.files(signal)).keys()].sort();
  }

  /**
   * Sizes come from the hub, so a file is read whole only under a cap (the caller's, else
   * MAX_SIDE_FILE_BYTES), checked on the listing's size and again on the size the file's probe
   * gives, before the buffer is allocated.
   */
  async readFile(
    path: string,
    signal?: AbortSignal,
    maxBytes = MAX_SIDE_FILE_BYTES,
  ): Promise<Uint8Array | undefined> {
    const size = (await this.files(signal)).get(path);
    if (size === undefined) return undefined;
    checkFileSize(`${this.id}/${path}`, size, maxBytes);
    if (size === 0) return new Uint8Array(0);
    const src = await this.open(path, signal);
    checkFileSize(src.name, src.size, maxBytes);
    return src.read(0, src.size, signal);
  }

  async open(path: string, signal?: AbortSignal): Promise<ByteSource> {
    const info = await this.info(path, signal);
    if (!info) throw new SourceError(`${this.id} has no file ${path} at commit ${this.revision.slice(0, 8)}`);
    const name = `${this.id}/${path}`;
    return {
      name,
      size: info.size,
      read: (offset, length, sig) => this.read(path, name, info, offset, length, sig),
      readInto: (offset, target, sig) => this.readInto(path, name, info, offset, target, sig),
    };
  }

  private files(signal?: AbortSignal): Promise<Map<string, number>> {
    this.listing ??= this.client
      .run({ model: this.id, what: `${this.id}: file list`, signal }, async (fetch) => {
        const out = new Map<string, number>();
        const entries = listFiles({
          repo: this.repo,
          revision: this.revision,
          recursive: true,
          hubUrl: this.client.hubUrl,
          fetch,
        });
        for await (const e of entries) if (e.type === 'file') out.set(e.path, e.size);
        return out;
      })
      .catch((e: unknown) => {
        this.listing = undefined; // a later call may try again
        throw e;
      });
    return this.listing;
  }

  private info(path: string, signal?: AbortSignal): Promise<FileDownloadInfoOutput | null> {
    let p = this.infos.get(path);
    if (!p) {
      p = this.client
        .run({ model: this.id, what: `${this.id}/${path}: size and ETag`, signal }, (fetch) =>
          fileDownloadInfo({
            repo: this.repo,
            path,
            revision: this.revision,
            hubUrl: this.client.hubUrl,
            fetch,
          }),
        )
        .catch((e: unknown) => {
          this.infos.delete(path);
          throw e;
        });
      this.infos.set(path, p);
    }
    return p;
  }

  /**
   * A range streamed into a buffer the engine reuses (no new ArrayBuffer per tensor), with the
   * same checks and retries as read(). A stream that errors or ends short is retried.
   */
  private async readInto(
    path: string,
    name: string,
    info: FileDownloadInfoOutput,
    offset: number,
    target: Uint8Array,
    signal?: AbortSignal,
  ): Promise<void> {
    const length = target.byteLength;
    if (!Number.isInteger(offset) || offset < 0 || offset + length > info.size) {
      throw new SourceError(
        `${name}: bytes ${offset}-${offset + length} are past the end (${info.size} bytes)`,
      );
    }
    if (length === 0) return;
    const what = `${name} bytes ${offset}-${offset + length - 1}`;
    const expect = { url: info.url, start: offset, end: offset + length, size: info.size, etag: info.etag };
    await this.client.run({ model: this.id, what, signal, expect }, async (fetch) => {
      const xet = info.xet !== undefined && this.options.xet !== false;
      const stream = xet
        ? await this.xetRange(path, info, offset, length, fetch)
        : await this.plainRange(info, offset, length, fetch, what);
      try {
        await streamInto(stream, target, what, { byob: !xet });
      } catch (e) {
        // A body cut short (SourceError from streamInto), or the library aborting a failed body
        // with a bare message: both are worth another try. Other errors keep their meaning.
        if (e instanceof SourceError || !(e instanceof Error))
          throw new HubTransientError(e instanceof Error ? e.message : String(e));
        throw e;
      }
    });
  }

  /**
   * A plain file's range: one GET with a Range header, whose body (a byte stream) streamInto
   * reads without a new buffer per chunk. The checks (status, Content-Range, ETag) are those
   * of every request, in hubFetch.
   */
  private async plainRange(
    info: FileDownloadInfoOutput,
    offset: number,
    length: number,
    fetch: typeof globalThis.fetch,
    what: string,
  ): Promise<ReadableStream<Uint8Array>> {
    const resp = await fetch(info.url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
    if (!resp.ok || !resp.body) {
      await resp.body?.cancel().catch(() => undefined);
      throw new HubProtocolError(`${what}: the hub answered HTTP ${resp.status} to a range read`);
    }
    return resp.body;
  }

  /** A xet-backed file's range, reconstructed by @huggingface/hub's XetBlob. */
  private async xetRange(
    path: string,
    info: FileDownloadInfoOutput,
    offset: number,
    length: number,
    fetch: typeof globalThis.fetch,
  ): Promise<ReadableStream<Uint8Array>> {
    const blob = await downloadFile({
      repo: this.repo,
      path,
      revision: this.revision,
      hubUrl: this.client.hubUrl,
      fetch,
      downloadInfo: info,
      xet: true,
    });
    if (!blob) throw new SourceError(`${this.id} has no file ${path}`);
    return blob.slice(offset, offset + length).stream();
  }

  private async read(
    path: string,
    name: string,
    info: FileDownloadInfoOutput,
    offset: number,
    length: number,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    if (!Number.isInteger(length) || length < 0) {
      throw new SourceError(`${name}: cannot read ${length} bytes`);
    }
    const bytes = new Uint8Array(length);
    await this.readInto(path, name, info, offset, bytes, signal);
    return bytes;
  }
}
