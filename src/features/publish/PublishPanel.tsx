/**
 * "Publish to the hub" under a finished job's files: the repo (namespace/name), private or not,
 * then one commit of the job's files to the hub chosen under Model source, with the token given
 * there. Progress (hashing, then uploading), Cancel, and a link to the repo. Names come from the
 * user and the hub's answers: text only, and the link is built from the hub URL and the repo id.
 */
import { useId, useState } from 'react';
import { formatBytes } from '../../shared/format.ts';
import { useStudio } from '../../stores/store.ts';
import { HF_HUB_URL } from '../../stores/sources-slice.ts';
import type { SaveTarget } from '../../../workers/runtime/requests.ts';
import { usePublish, type PublishState } from './use-publish.ts';

const REPO = /^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9][\w.-]{0,95}$/;

/** Why the repo box's text cannot be published to, or undefined. */
export function repoProblem(text: string): string | undefined {
  if (text.trim() === '') return 'Write the repo as your-name/model-name.';
  if (!REPO.test(text.trim()) || text.includes('..'))
    return 'A repo is your-name/model-name: letters, digits, - _ . only.';
  return undefined;
}

export function PublishPanel({
  target,
  files,
  outputName,
}: {
  readonly target: SaveTarget | undefined;
  readonly files: readonly { readonly path: string }[];
  readonly outputName: string;
}) {
  const id = useId();
  const hubUrl = useStudio((s) => s.hubUrl);
  const token = useStudio((s) => s.token);
  const [repo, setRepo] = useState('');
  const [isPrivate, setPrivate] = useState(false);
  const { state, start, cancel } = usePublish();
  if (!target) return null;
  const problem = repoProblem(repo);
  const needsToken = hubUrl === HF_HUB_URL && !token;
  const busy = state.status === 'running';
  return (
    <section className="publish" aria-label="Publish to the hub">
      <h4>Publish to the hub</h4>
      <p className="hint">
        One commit of these files to a model repo on {hubUrl} (the hub under Model source), created if it does
        not exist.
      </p>
      <div className="run-options">
        <label htmlFor={`${id}-repo`}>Repo</label>
        <input
          id={`${id}-repo`}
          value={repo}
          placeholder={`your-name/${outputName}`}
          spellCheck={false}
          disabled={busy}
          aria-invalid={repo !== '' && problem !== undefined}
          aria-describedby={`${id}-repo-hint`}
          onChange={(e) => setRepo(e.target.value)}
        />
        <span id={`${id}-repo-hint`} className="hint">
          {repo !== '' && problem
            ? problem
            : 'Your user name or an organisation you may write to, then a name.'}
        </span>
        <label>
          <input
            type="checkbox"
            checked={isPrivate}
            disabled={busy}
            onChange={(e) => setPrivate(e.target.checked)}
          />{' '}
          Private (for a new repo)
        </label>
      </div>
      {needsToken && (
        <p className="hint" role="note">
          Publishing to huggingface.co needs a token with write access: give it under Model source.
        </p>
      )}
      <button
        type="button"
        disabled={busy || problem !== undefined || needsToken}
        onClick={() =>
          start(
            {
              hubUrl,
              ...(token && { token }),
              repo: repo.trim(),
              ...(isPrivate && { private: true }),
              files: files.map((f) => f.path),
            },
            target,
          )
        }
      >
        Publish
      </button>
      {busy && (
        <button type="button" onClick={cancel}>
          Cancel publishing
        </button>
      )}
      <PublishStatus state={state} />
    </section>
  );
}

function PublishStatus({ state }: { readonly state: PublishState }) {
  switch (state.status) {
    case 'idle':
      return null;
    case 'running': {
      const p = state.progress;
      const done = p ? (p.phase === 'hashing' ? p.hashedBytes : p.uploadedBytes) : 0;
      return (
        <div role="status" aria-live="polite">
          <progress max={p?.bytes || 1} value={done} aria-label="Publishing" />{' '}
          {p
            ? `${p.phase === 'hashing' ? 'hashing' : p.phase === 'committing' ? 'committing' : p.phase === 'preparing' ? 'preparing' : 'uploading'}: ${formatBytes(done)} of ${formatBytes(p.bytes)}${p.current ? ` (${p.current})` : ''}${p.attempt > 1 ? `, try ${p.attempt}` : ''}`
            : 'starting…'}
          {state.log.length > 0 && <div className="hint">{state.log.at(-1)}</div>}
        </div>
      );
    }
    case 'done': {
      const r = state.result;
      return (
        <p role="status">
          Published {r.files} files ({formatBytes(r.bytes)}) to{' '}
          <a href={r.url} target="_blank" rel="noopener noreferrer">
            {r.repo}
          </a>
          {r.created ? ' (a new repo)' : ''}.
        </p>
      );
    }
    default:
      return (
        <p role="alert" className="error">
          {state.error}
        </p>
      );
  }
}
