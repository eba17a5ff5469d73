/**
 * A shard file a compute lane opens itself, to write its part of a tensor straight into it
 * instead of sending every encoded piece to the merge worker, which would copy it into the file
 * between its reads (on two cores the lane waited 1.4 s of a 12-layer merge for that).
 *
 * The merge worker's writer says where the file is (`FileWriter.laneTarget`, plain data that can
 * be posted to a worker); the lane's realm knows how to open it: OPFS files with a second sync
 * access handle in 'readwrite-unsafe' mode (./browser/opfs-lane-file.ts), Node files with their
 * own descriptor (./node/fs-lane-file.ts). Parts write disjoint ranges, so nothing is locked.
 */

export type LaneFileTarget =
  /** An OPFS file: the directory names from the origin's root, then the file's name. */
  | { readonly kind: 'opfs'; readonly path: readonly string[] }
  /** A file on a Node machine's disk. */
  | { readonly kind: 'fs'; readonly path: string };

export interface LaneFile {
  /** Writes all of `bytes` at `at` before returning (throws a storage error). */
  write(at: number, bytes: Uint8Array): void;
  close(): void;
}

/** Opens a target in this realm; undefined where this realm cannot open that kind. */
export type LaneFileOpener = (target: LaneFileTarget) => Promise<LaneFile> | undefined;
