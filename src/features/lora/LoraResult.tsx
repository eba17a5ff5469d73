/**
 * After an extraction: what was written and where (and how many modules an earlier run into
 * that folder had extracted), the files (with downloads from browser storage), the rank of
 * every decomposed module, and how to use the adapter (LoraUsage).
 * Names come from the checkpoints and the user: text only.
 */
import type { LoraExtractResult } from '../../../workers/runtime/api.ts';
import { formatBytes, formatDuration } from '../../shared/format.ts';
import { useStudio } from '../../stores/store.ts';
import { WrittenFiles } from '../../shared/WrittenFiles.tsx';
import { PublishPanel } from '../publish/PublishPanel.tsx';
import { LoraUsage } from './LoraUsage.tsx';

/** "28 at rank 8, 2 at rank 4": how many modules got each rank, highest first. */
export function rankCounts(result: Pick<LoraExtractResult, 'modules'>): string {
  const counts = new Map<number, number>();
  for (const m of result.modules) counts.set(m.rank, (counts.get(m.rank) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[0] - a[0])
    .map(([rank, n]) => `${n} at rank ${rank}`)
    .join(', ');
}

export function LoraResult() {
  const {
    result,
    savedTo,
    savedFolder: folder,
    config,
    savedTarget,
    outputName,
  } = useStudio((s) => s.loraRun);
  if (!result || !config) return null;
  const resumed = result.resumedModules > 0 ? result.resumedModules : undefined;
  return (
    <section className="result" aria-label="Extraction result">
      <h3>Extracted</h3>
      <p role="status">
        A LoRA adapter of {config.model} over {config.base} (r = {result.rank}) written to {savedTo} in{' '}
        {formatDuration(result.elapsedMs)}: {result.modules.length} modules decomposed
        {resumed !== undefined && ` (${resumed} of them resumed from an earlier run)`},{' '}
        {result.otherTensors.length} other tensors, {formatBytes(result.bytesWritten)}.
      </p>
      <WrittenFiles files={result.files} folder={folder} />
      <PublishPanel target={savedTarget} files={result.files} outputName={outputName ?? 'lora'} />
      <details open={result.modules.length <= 16}>
        <summary>Ranks: {rankCounts(result)}</summary>
        <table className="files">
          <caption>Rank per module</caption>
          <thead>
            <tr>
              <th scope="col">Module</th>
              <th scope="col">Shape</th>
              <th scope="col">Rank</th>
            </tr>
          </thead>
          <tbody>
            {result.modules.map((m) => (
              <tr key={m.module}>
                <td>{m.module}</td>
                <td>
                  {m.rows}×{m.cols}
                </td>
                <td>{m.rank}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      {result.emptyModules.length > 0 && (
        <p className="field-hint">
          Left out, no singular value above the epsilon: {result.emptyModules.join(', ')}.
        </p>
      )}
      {result.modulesToSave.length > 0 && (
        <p className="field-hint">Saved whole (modules_to_save): {result.modulesToSave.join(', ')}.</p>
      )}
      <LoraUsage />
    </section>
  );
}
