/**
 * After a merge: the files written, sizes, time, downloads (browser storage), publishing to the
 * hub, and the change chart.
 */
import { formatBytes, formatDuration } from '../../shared/format.ts';
import { useStudio } from '../../stores/store.ts';
import { WrittenFiles } from '../../shared/WrittenFiles.tsx';
import { ChangeChart } from './ChangeChart.tsx';
import { PublishPanel } from '../publish/PublishPanel.tsx';

export function ResultSummary() {
  const result = useStudio((s) => s.result);
  const savedTo = useStudio((s) => s.savedTo);
  // The folder this result was written to, not the name box (which may have changed since).
  const folder = useStudio((s) => s.savedFolder);
  const target = useStudio((s) => s.savedTarget);
  const outputName = useStudio((s) => s.runOptions.outputName);
  if (!result) return null;
  return (
    <section className="result" aria-label="Merge result">
      <h3>Merged</h3>
      <p role="status">
        {result.tensors} tensors in {result.layers} layers written to {savedTo} in{' '}
        {formatDuration(result.elapsedMs)}: {formatBytes(result.bytesWritten)} written,{' '}
        {formatBytes(result.bytesRead)} read in {result.readRequests} reads
        {result.resumedShards > 0 ? `, ${result.resumedShards} shard(s) kept from the interrupted run` : ''}.
      </p>
      <WrittenFiles files={result.files} folder={folder} />
      <PublishPanel target={target} files={result.files} outputName={outputName} />
      {result.warnings.length > 0 && (
        <details open>
          <summary>{result.warnings.length} warning(s)</summary>
          <ul>
            {result.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </details>
      )}
      <ChangeChart changes={result.changes} />
    </section>
  );
}
