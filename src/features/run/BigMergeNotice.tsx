/**
 * When the output will not fit in what this browser may store, say so and give the commands
 * that run the same recipe outside the browser (mergekit itself, or our CLI).
 */
import { useQuery } from '@tanstack/react-query';
import { useModelInfos } from '../../engine/model-info.ts';
import { formatBytes } from '../../shared/format.ts';
import { selectModelIds } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';

export function BigMergeNotice() {
  const ids = useStudio(selectModelIds);
  const hubUrl = useStudio((s) => s.hubUrl);
  const token = useStudio((s) => s.token);
  const localFolders = useStudio((s) => s.localFolders);
  const infos = useModelInfos(ids, hubUrl, token, localFolders);
  const estimate = useQuery({
    queryKey: ['storage-estimate'],
    queryFn: () => navigator.storage.estimate(),
    staleTime: 30_000,
  });
  const sizes = infos.flatMap((q) => (q.data ? [q.data.weightFiles.reduce((s, f) => s + f.size, 0)] : []));
  if (sizes.length === 0 || !estimate.data?.quota) return null;
  const output = Math.max(...sizes);
  const free = estimate.data.quota - (estimate.data.usage ?? 0);
  if (output < free) return null;
  return (
    <div className="notice" role="note">
      <p>
        The merged model will be about {formatBytes(output)}, more than the {formatBytes(free)} this browser
        may store. Export the YAML and run it on a machine with enough disk:
      </p>
      <pre>
        mergekit-yaml recipe.yml ./merged --copy-tokenizer{'\n'}npx merge-studio merge recipe.yml --out
        ./merged
      </pre>
    </div>
  );
}
