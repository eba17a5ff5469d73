/**
 * After an extraction: what was written and where, the files (with downloads from browser
 * storage), the rank of every decomposed module, and how to use the adapter (LoraUsage).
 * Names come from the checkpoints and the user: text only.
 */
import { useEffect, useState } from 'react';
import type { LoraExtractResult } from '../../../workers/runtime/api.ts';
import { downloadFile, opfsFiles } from '../../engine/save-target.ts';
import { formatBytes, formatDuration } from '../../shared/format.ts';
import { useStudio } from '../../stores/store.ts';
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
  const { result, savedTo, savedFolder: folder, config } = useStudio((s) => s.loraRun);
  const [downloads, setDownloads] = useState<File[]>([]);
  const inBrowser = folder !== undefined;
  useEffect(() => {
    if (result && folder !== undefined)
      void opfsFiles(
        folder,
        result.files.map((f) => f.path),
      ).then(setDownloads, () => setDownloads([]));
  }, [result, folder]);
  if (!result || !config) return null;
  return (
    <section className="result" aria-label="Extraction result">
      <h3>Extracted</h3>
      <p role="status">
        A LoRA adapter of {config.model} over {config.base} (r = {result.rank}) written to {savedTo} in{' '}
        {formatDuration(result.elapsedMs)}: {result.modules.length} modules decomposed,{' '}
        {result.otherTensors.length} other tensors, {formatBytes(result.bytesWritten)}.
      </p>
      <table className="files">
        <caption>Files</caption>
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Size</th>
            {inBrowser && <th scope="col">Download</th>}
          </tr>
        </thead>
        <tbody>
          {result.files.map((f) => {
            const file = downloads.find((d) => d.name === f.path);
            return (
              <tr key={f.path}>
                <td>{f.path}</td>
                <td>{formatBytes(f.size)}</td>
                {inBrowser && (
                  <td>
                    {file && (
                      <button
                        type="button"
                        onClick={() => downloadFile(file)}
                        aria-label={`Download ${f.path}`}
                      >
                        Download
                      </button>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
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
