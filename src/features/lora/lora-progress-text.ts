/** The progress line of a running extraction: modules, the one being decomposed, time so far and left. */
import type { ExtractProgress } from '../../../workers/lora-extract/extract-progress.ts';
import { formatDuration } from '../../shared/format.ts';
import type { RunStatus } from '../../stores/run-slice.ts';

export function loraProgressText(p: ExtractProgress | undefined, status: RunStatus): string {
  if (!p || p.phase === 'loading') return 'reading the models’ headers…';
  const modules = `${p.modulesDone} of ${p.modulesTotal} modules`;
  const elapsed = `${formatDuration(p.elapsedMs)} so far`;
  if (p.phase === 'writing') return `${modules} · writing the adapter… · ${elapsed}`;
  if (p.phase === 'done') return `${modules} · done in ${formatDuration(p.elapsedMs)}`;
  const eta = p.etaMs !== undefined && status === 'running' ? ` · about ${formatDuration(p.etaMs)} left` : '';
  const now = p.currentModule !== undefined ? ` · ${p.currentModule}` : '';
  return `${modules}${now} · ${elapsed}${eta}`;
}
