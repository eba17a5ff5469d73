/**
 * Open model folders from disk: a folder input (every browser), or drop folders here. A folder
 * of models adds each sub-folder holding a config.json. Files are read in place.
 */
import { useId, useState, type DragEvent } from 'react';
import { groupModelFolders, registerLocalFolder } from '../../engine/local-files.ts';
import { useStudio } from '../../stores/store.ts';

type Entry = { path: string; file: File };

/** Reads a dropped directory tree (webkitGetAsEntry) into files with relative paths. */
async function readEntry(entry: FileSystemEntry, prefix: string, out: Entry[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
    out.push({ path: `${prefix}${entry.name}`, file });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
    if (batch.length === 0) break;
    for (const e of batch) await readEntry(e, `${prefix}${entry.name}/`, out);
  }
}

export function LocalFolderPicker() {
  const id = useId();
  const [message, setMessage] = useState<string>();
  const [over, setOver] = useState(false);
  const addLocalFolder = useStudio((s) => s.addLocalFolder);
  const addModel = useStudio((s) => s.addModel);

  const add = (files: Entry[]) => {
    const models = groupModelFolders(files);
    if (models.size === 0) {
      setMessage('No model found: pick a folder that holds config.json and .safetensors files.');
      return;
    }
    for (const [name, folder] of models) {
      registerLocalFolder(name, folder);
      addLocalFolder(name, {
        files: folder.files.length,
        bytes: folder.files.reduce((s, f) => s + f.file.size, 0),
      });
      addModel(name);
    }
    setMessage(`Opened ${[...models.keys()].join(', ')}.`);
  };

  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const files: Entry[] = [];
    for (const item of Array.from(e.dataTransfer.items)) {
      const entry = item.webkitGetAsEntry();
      if (entry) await readEntry(entry, '', files);
    }
    add(files);
  };

  return (
    <section
      className={`local-folders${over ? ' drop-over' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => void onDrop(e)}
      aria-label="Open local model folders"
    >
      <label htmlFor={`${id}-dir`} className="button-like">
        Open a local model folder…
      </label>
      <input
        id={`${id}-dir`}
        className="visually-hidden"
        type="file"
        // A directory picker that works in every browser (the folder's files, with paths).
        {...({ webkitdirectory: '', directory: '' } as object)}
        multiple
        onChange={(e) =>
          add([...(e.target.files ?? [])].map((f) => ({ path: f.webkitRelativePath || f.name, file: f })))
        }
      />
      <p className="muted">or drop model folders here</p>
      {message && <p role="status">{message}</p>}
    </section>
  );
}
