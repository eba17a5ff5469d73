/**
 * The files a job wrote, with their sizes and, when they went to browser storage (a folder of
 * OPFS), a download button each: every tool's result. A file in a subfolder (a filled model's)
 * is listed by its path. File names come from the job (and so from models' names): text only.
 * With more than one file, "Download all" offers the folder as one tar archive, which keeps
 * subfolders (a browser flattens a single download's path) and takes one click, not one a shard.
 */
import { useEffect, useState } from 'react';
import { downloadArchive, downloadFile, opfsFiles } from '../engine/save-target.ts';
import { formatBytes } from './format.ts';

export function WrittenFiles({
  files,
  folder,
}: {
  readonly files: readonly { readonly path: string; readonly size: number }[];
  /** The OPFS folder they were written to; undefined when they went to a picked folder. */
  readonly folder: string | undefined;
}) {
  const [downloads, setDownloads] = useState<File[]>([]);
  const inBrowser = folder !== undefined;
  useEffect(() => {
    if (folder !== undefined)
      void opfsFiles(
        folder,
        files.map((f) => f.path),
      ).then(setDownloads, () => setDownloads([]));
  }, [files, folder]);
  const archiveName = folder?.split('/').filter(Boolean).at(-1) ?? 'model';
  return (
    <>
      {inBrowser && downloads.length > 1 && (
        <p>
          <button
            type="button"
            onClick={() => downloadArchive(archiveName, downloads)}
            aria-label={`Download all files as ${archiveName}.tar`}
          >
            Download all (.tar)
          </button>{' '}
          <small>one archive with the folder's layout; extract it with tar -xf</small>
        </p>
      )}
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
          {files.map((f) => {
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
    </>
  );
}
