/**
 * After a transplant: what was written and where (and how many shards an earlier run into that
 * folder had finished), each rebuilt matrix's token counts, the files (with downloads from
 * browser storage), publishing, and the command line that writes the same files. Names come
 * from models and users: text only.
 */
import { statsLine } from '../../../workers/tokensurgeon/build-embedding.ts';
import { formatBytes, formatDuration } from '../../shared/format.ts';
import { WrittenFiles } from '../../shared/WrittenFiles.tsx';
import { useStudio } from '../../stores/store.ts';
import { PublishPanel } from '../publish/PublishPanel.tsx';
import './tokensurgeon.css';

export function SurgeryResult() {
  const { result, savedTo, savedFolder, savedTarget, config, outputName } = useStudio((s) => s.surgeryRun);
  if (!result || !config) return null;
  const heads = [result.embed, ...(result.lmHead ? [result.lmHead] : [])];
  return (
    <section className="result" aria-label="Transplant result">
      <h3>Transplanted</h3>
      <p role="status">
        {config.model} with {config.donor}’s tokenizer ({result.vocabSize} tokens) written to {savedTo} in{' '}
        {formatDuration(result.elapsedMs)}: {result.tensors} tensors, {formatBytes(result.bytesWritten)}
        {result.resumedShards > 0 && ` (${result.resumedShards} shard(s) kept from an earlier run)`}.
      </p>
      <ul aria-label="Rebuilt matrices">
        {heads.map((h) => (
          <li key={h.name}>{statsLine(h.name, h.stats)}</li>
        ))}
      </ul>
      {result.warnings.length > 0 && (
        <ul aria-label="Warnings">
          {result.warnings.map((w) => (
            <li key={w} className="notice">
              {w}
            </li>
          ))}
        </ul>
      )}
      <WrittenFiles files={result.files} folder={savedFolder} />
      <PublishPanel target={savedTarget} files={result.files} outputName={outputName ?? 'model'} />
      <p>
        The folder is a whole model in Hugging Face layout with the donor’s tokenizer files: open it with
        “Open a local model folder…” to merge it with models that use that tokenizer. The same files from the
        command line (mergekit-tokensurgeon takes the same options):
      </p>
      <pre className="log surgery-command" aria-label="Command line">
        {result.invocation}
      </pre>
    </section>
  );
}
