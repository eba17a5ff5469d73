/** The output sink of a save target: a picked folder, or a folder in the origin-private file system. */
import { directorySink } from '../io/browser/fsa-sink.ts';
import { opfsSink } from '../io/browser/opfs-sink.ts';
import type { OutputSink } from '../io/source.ts';
import type { SaveTarget } from './requests.ts';

export async function sinkFor(target: SaveTarget): Promise<OutputSink> {
  return target.kind === 'directory' ? directorySink(target.handle) : opfsSink(target.folder);
}
