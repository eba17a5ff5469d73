/**
 * Recipe model ids for the Hub: `org/name`, `org/name@revision` (a branch, tag or commit), or a
 * bare `name` (the Hub's legacy top-level repos such as `gpt2`, and the local hub's folders).
 * The revision is the text after the first `@`, so tags with `/` (`refs/pr/1`) pass through.
 */
import { SourceError } from '../source.ts';

export interface RepoRef {
  readonly repo: string;
  readonly revision: string | undefined;
}

/** What the Hub allows in an org or repo name: letters, digits, `-`, `_`, `.`; not `..`. */
const SEGMENT = /^[A-Za-z0-9][\w.-]{0,95}$/;

export function parseRepoRef(id: string): RepoRef {
  const at = id.indexOf('@');
  const repo = at < 0 ? id : id.slice(0, at);
  const revision = at < 0 ? undefined : id.slice(at + 1);
  const parts = repo.split('/');
  if (parts.length > 2 || !parts.every((p) => SEGMENT.test(p) && !p.includes('..'))) {
    throw new SourceError(
      `'${id}' is not a Hub model id: write org/name or org/name@revision (letters, digits, - _ . only)`,
    );
  }
  if (revision !== undefined && (revision === '' || /\s/.test(revision))) {
    throw new SourceError(`'${id}': the revision after @ must be a branch, tag or commit, without spaces`);
  }
  return { repo, revision };
}

export function isHubRepoId(id: string): boolean {
  try {
    parseRepoRef(id);
    return true;
  } catch {
    return false;
  }
}
