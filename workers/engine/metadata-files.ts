/**
 * The files around the weights, written after every shard: the donor's tokenizer and
 * generation files copied, the model card, the recipe as mergekit_config.yml, and config.json
 * last of all (its presence is what makes a folder look like a complete model).
 */
import type { LoadedModel } from '../io/load-model.ts';
import { MAX_SIDE_FILE_BYTES } from '../io/source.ts';
import type { MergePlan } from '../plan/plan-types.ts';
import { recipeToYaml } from '../plan/recipe-yaml.ts';
import type { OutputFileInfo } from '../protocol.ts';
import { modelCard } from './model-card.ts';
import type { MergeJob } from './run-merge.ts';

/** What mergekit's --copy-tokenizer copies from the donor (plus vocab.json for GPT-2-style tokenizers). */
export const DONOR_FILES = [
  'tokenizer_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer.model',
  'added_tokens.json',
  'merges.txt',
  'vocab.json',
  'chat_template.jinja',
  'chat_template.json',
  'generation_config.json',
  'preprocessor_config.json',
  'video_preprocessor_config.json',
] as const;

export async function writeMetadataFiles(
  job: MergeJob,
  plan: MergePlan,
  donor: LoadedModel,
  warn: (w: string) => void,
): Promise<OutputFileInfo[]> {
  const files: OutputFileInfo[] = [];
  const put = async (path: string, data: Uint8Array | string): Promise<void> => {
    await job.sink.writeFile(path, data);
    files.push({
      path,
      size: typeof data === 'string' ? new TextEncoder().encode(data).byteLength : data.byteLength,
    });
  };
  let copied = 0;
  for (const f of DONOR_FILES) {
    if (!donor.files.includes(f)) continue;
    const data = await donor.source.readFile(f, job.signal, MAX_SIDE_FILE_BYTES);
    if (data) {
      await put(f, data);
      copied++;
    }
  }
  if (copied === 0)
    warn(`${donor.id} has no tokenizer files to copy; add them to the output before using it`);
  const yamlText = job.recipeText ?? recipeToYaml(job.recipe);
  await put(
    'README.md',
    modelCard({
      name: job.outputName ?? 'merged-model',
      recipe: job.recipe,
      recipeYaml: yamlText,
      hubModels: job.hubModels ?? new Set(),
    }),
  );
  await put('mergekit_config.yml', yamlText);
  await put('config.json', `${JSON.stringify(plan.config, null, 2)}\n`);
  return files;
}
