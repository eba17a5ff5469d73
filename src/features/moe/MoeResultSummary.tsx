/** After a build: the files written, sizes, time, downloads (browser storage), and warnings. */
import { useEffect, useState } from 'react';
import { downloadFile, opfsFiles } from '../../engine/save-target.ts';
import { formatBytes, formatDuration } from '../../shared/format.ts';
import { useStudio } from '../../stores/store.ts';

export function MoeResultSummary() {
  const { result, savedTo, savedFolder: folder } = useStudio((s) => s.moeRun);
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
    <section className="result" aria-label="Build result">
      <h3>Built</h3>
      <p role="status">
        A {result.experts}-expert Mixtral MoE ({result.layers} layers, {result.tensors} tensors) written to{' '}
        {savedTo} in {formatDuration(result.elapsedMs)}: {formatBytes(result.bytesWritten)} written,{' '}
        {formatBytes(result.bytesRead)} read in {result.readRequests} reads
        {result.resumedShards > 0 ? `, ${result.resumedShards} shard(s) kept from the interrupted build` : ''}
        .
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
