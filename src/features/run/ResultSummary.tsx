/** After a merge: the files written, sizes, time, downloads (browser storage), and the change chart. */
import { useEffect, useState } from 'react';
import { downloadFile, opfsFiles } from '../../engine/save-target.ts';
import { formatBytes, formatDuration } from '../../shared/format.ts';
import { useStudio } from '../../stores/store.ts';
import { ChangeChart } from './ChangeChart.tsx';

export function ResultSummary() {
  const result = useStudio((s) => s.result);
  const savedTo = useStudio((s) => s.savedTo);
  // The folder this result was written to, not the name box (which may have changed since).
  const folder = useStudio((s) => s.savedFolder);
  const [downloads, setDownloads] = useState<File[]>([]);
  const inBrowser = folder !== undefined;
  useEffect(() => {
    if (result && folder !== undefined)
      void opfsFiles(
        folder,
        result.files.map((f) => f.path),
      ).then(setDownloads, () => setDownloads([]));
  }, [result, folder]);
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
