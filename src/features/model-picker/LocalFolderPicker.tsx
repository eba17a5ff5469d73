/**
 * Open model folders from disk: a folder input (every browser), or drop folders here. A folder
 * of models adds each sub-folder holding a config.json. A PEFT LoRA adapter's folder
 * (adapter_config.json, no config.json) is opened but not added: it is applied to a model with
 * "Apply LoRA adapter…" (AdapterControls). Files are read in place.
 *
 * The File objects live only as long as the page: after a reload a model that was a folder
 * shows `ReopenFolderButton` (ChosenModels) instead of being looked up on the hub.
 */
import { useId, useRef, useState, type ChangeEvent, type DragEvent } from 'react';
import { groupAdapterFolders, groupModelFolders, registerLocalFolder } from '../../engine/local-files.ts';
import { selectModelIds } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';
import type { LocalModelFiles } from '../../../workers/runtime/requests.ts';

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

/** A folder input's files, with their paths inside the picked folder. */
function pickedFiles(e: ChangeEvent<HTMLInputElement>): Entry[] {
  return [...(e.target.files ?? [])].map((f) => ({ path: f.webkitRelativePath || f.name, file: f }));
}

/** A directory picker that works in every browser (the folder's files, with paths). */
const FOLDER_INPUT = { webkitdirectory: '', directory: '' } as object;

/** Registers the model folders among `files` and adds them to the recipe; says what it did. */
function useAddFolders(): { add: (files: Entry[]) => readonly string[]; message: string | undefined } {
  const [message, setMessage] = useState<string>();
  const addLocalFolder = useStudio((s) => s.addLocalFolder);
  const addModel = useStudio((s) => s.addModel);
  const register = (name: string, folder: LocalModelFiles, adapter: boolean) => {
    registerLocalFolder(name, folder);
    addLocalFolder(name, {
      files: folder.files.length,
      bytes: folder.files.reduce((s, f) => s + f.file.size, 0),
      ...(adapter && { adapter }),
    });
  };
  const add = (files: Entry[]): readonly string[] => {
    const models = groupModelFolders(files);
    const adapters = groupAdapterFolders(files);
    if (models.size === 0 && adapters.size === 0) {
      setMessage(
        'No model found: pick a folder that holds config.json and .safetensors (or pytorch_model.bin) files.',
      );
      return [];
    }
    for (const [name, folder] of models) {
      register(name, folder, false);
      // A folder opened again after a reload is in the recipe already (maybe only in its slices).
      if (!selectModelIds(useStudio.getState()).includes(name)) addModel(name);
    }
    for (const [name, folder] of adapters) register(name, folder, true);
    const said = [
      ...(models.size > 0 ? [`Opened ${[...models.keys()].join(', ')}.`] : []),
      ...(adapters.size > 0
        ? [
            `Opened the LoRA adapter${adapters.size > 1 ? 's' : ''} ${[...adapters.keys()].join(', ')}: ` +
              'apply it to a model with “Apply LoRA adapter…” in the list of models.',
          ]
        : []),
    ];
    setMessage(said.join(' '));
    return [...models.keys(), ...adapters.keys()];
  };
  return { add, message };
}

/**
 * For a model that was a local folder before a reload: a button that opens the folder picker
 * again (a real button: the input it clicks is out of the tab order).
 */
export function ReopenFolderButton({ id }: { readonly id: string }) {
  const input = useRef<HTMLInputElement>(null);
  const { add, message } = useAddFolders();
  const [wrong, setWrong] = useState<string>();
  return (
    <>
      <button type="button" onClick={() => input.current?.click()}>
        Open the {id} folder again…
      </button>
      <input
        ref={input}
        className="visually-hidden"
        type="file"
        tabIndex={-1}
        aria-hidden="true"
        {...FOLDER_INPUT}
        multiple
        onChange={(e) => {
          const opened = add(pickedFiles(e));
          e.target.value = '';
          setWrong(
            opened.length > 0 && !opened.includes(id)
              ? `That folder holds ${opened.join(', ')}, not ${id}: it was added as a model of its own.`
              : undefined,
          );
        }}
      />
      {(wrong ?? message) && <span role="status">{wrong ?? message}</span>}
    </>
  );
}

export function LocalFolderPicker() {
  const id = useId();
  const [over, setOver] = useState(false);
  const { add, message } = useAddFolders();

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
        // Visually hidden but focusable: app.css outlines the label while it has keyboard focus.
        className="visually-hidden"
        type="file"
        {...FOLDER_INPUT}
        multiple
        onChange={(e) => add(pickedFiles(e))}
      />
      <p className="muted">or drop model folders here</p>
      {message && <p role="status">{message}</p>}
    </section>
  );
}
