/** The progress line of a running transplant: the step, the matrix and its tokens, or the tensors written. */
import type { SurgeryProgress } from '../../../workers/tokensurgeon/surgery-progress.ts';
import { formatDuration } from '../../shared/format.ts';
import type { RunStatus } from '../../stores/run-slice.ts';

export function surgeryProgressText(p: SurgeryProgress | undefined, status: RunStatus): string {
  if (!p || p.phase === 'loading') return 'reading the models’ headers, tokenizers and embeddings…';
  const elapsed = `${formatDuration(p.elapsedMs)} so far`;
  if (p.phase === 'done') return `done in ${formatDuration(p.elapsedMs)}`;
  if (p.phase === 'writing') return `writing: ${p.tensorsDone} of ${p.tensorsTotal} tensors · ${elapsed}`;
  const m = p.matrix;
  const which = m ? `${m.name} (${m.index} of ${m.of})` : 'the embeddings';
  if (p.tokensTotal === 0) return `matching tokens for ${which} · ${elapsed}`;
  const eta = p.etaMs !== undefined && status === 'running' ? ` · about ${formatDuration(p.etaMs)} left` : '';
  return `approximating ${which}: ${p.tokensDone} of ${p.tokensTotal} new tokens · ${elapsed}${eta}`;
}

/** The bar: the current step's share (a matrix's tokens, or the tensors written). */
export function surgeryFraction(p: SurgeryProgress | undefined): number {
  if (!p) return 0;
  if (p.phase === 'done') return 1;
  if (p.phase === 'writing') return p.tensorsTotal > 0 ? p.tensorsDone / p.tensorsTotal : 0;
  return p.tokensTotal > 0 ? Math.min(1, p.tokensDone / p.tokensTotal) : 0;
}
