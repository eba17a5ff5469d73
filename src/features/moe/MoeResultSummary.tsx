/**
 * After a build: what was built (architecture, experts, shared experts), the files written,
 * sizes, time, downloads (browser storage), and warnings.
 */
import { formatBytes, formatDuration } from '../../shared/format.ts';
import { useStudio } from '../../stores/store.ts';
import { WrittenFiles } from '../../shared/WrittenFiles.tsx';
import { PublishPanel } from '../publish/PublishPanel.tsx';
import { architectureNoun, REMOTE_CODE } from './architectures.ts';

export function MoeResultSummary() {
  const { result, savedTo, savedFolder: folder, savedTarget } = useStudio((s) => s.moeRun);
  const outputName = useStudio((s) => s.moeOptions.outputName);
  if (!result) return null;
  const shared = result.sharedExperts;
  return (
    <section className="result" aria-label="Build result">
      <h3>Built</h3>
      <p role="status">
        A {result.experts}-expert {architectureNoun(result.architecture)}
        {shared > 0 ? ` with ${shared} shared expert${shared === 1 ? '' : 's'}` : ''} ({result.layers} layers,{' '}
        {result.tensors} tensors) written to {savedTo} in {formatDuration(result.elapsedMs)}:{' '}
        {formatBytes(result.bytesWritten)} written, {formatBytes(result.bytesRead)} read in{' '}
        {result.readRequests} reads
        {result.resumedShards > 0 ? `, ${result.resumedShards} shard(s) kept from the interrupted build` : ''}
        .
      </p>
      {result.architecture === 'DeepSeek MoE' && <p className="field-hint">{REMOTE_CODE}</p>}
      <WrittenFiles files={result.files} folder={folder} />
      <PublishPanel target={savedTarget} files={result.files} outputName={outputName} />
      {result.warnings.length > 0 && (
        <details open>
          <summary>{result.warnings.length} warning(s)</summary>
          <ul aria-label="Build warnings">
            {result.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
