/** The progress line of a running job (a merge or a MoE build): what it does now, in words and bytes. */
import type { MergeProgress } from '../../workers/protocol.ts';
import type { RunStatus } from '../stores/run-slice.ts';
import { formatBytes, formatDuration } from './format.ts';

export function progressText(p: MergeProgress, status: RunStatus): string {
  if (p.phase === 'loading') return 'reading the models’ headers…';
  if (p.phase === 'planning') return 'planning…';
  const rates = `read ${p.readMBps.toFixed(1)} MB/s, write ${p.writeMBps.toFixed(1)} MB/s`;
  // Before the first tensor is written the inputs are downloading: say how far that is.
  const what =
    p.phase === 'merging' && p.bytesWritten === 0 && p.tensorsDone === 0
      ? `reading inputs · ${formatBytes(p.bytesRead)}${p.bytesToRead ? ` of ${formatBytes(p.bytesToRead)}` : ''} read`
      : `${p.phase === 'merging' ? `${p.tensorsDone} of ${p.tensorsTotal} tensors` : p.phase} · ${formatBytes(p.bytesWritten)} of ${formatBytes(p.bytesTotal)}`;
  const eta = p.etaMs !== undefined && status === 'running' ? ` · about ${formatDuration(p.etaMs)} left` : '';
  return `${what} · ${rates}${eta}${p.currentTensor ? ` · ${p.currentTensor}` : ''}`;
}
