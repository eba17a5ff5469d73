/**
 * A compute lane's own descriptor on a shard the merge thread is writing (../lane-file.ts): the
 * lane's part goes into the file with positioned synchronous writes from the lane's thread.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { LaneFile, LaneFileTarget } from '../lane-file.ts';

export function openFsLaneFile(path: string): LaneFile {
  const fd = openSync(path, 'r+');
  return {
    write(at, bytes) {
      let done = 0;
      while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done, at + done);
    },
    close: () => closeSync(fd),
  };
}

/** The opener of a Node compute lane (and of lanes in the merge thread's own realm): files on disk. */
export const nodeLaneFiles = (target: LaneFileTarget): Promise<LaneFile> | undefined =>
  target.kind === 'fs' ? Promise.resolve(openFsLaneFile(target.path)) : undefined;
