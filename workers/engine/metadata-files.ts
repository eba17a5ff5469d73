/**
 * The files around the weights, written after every shard: the donor's tokenizer and
 * generation files copied, the model card, the recipe as mergekit_config.yml, and config.json
 * last of all (its presence is what makes a folder look like a complete model).
 */
import type { LoadedModel } from '../io/load-model.ts';
import { MAX_SIDE_FILE_BYTES } from '../io/source.ts';
import type { MergePlan, TokenizerFiles } from '../plan/plan-types.ts';
import { recipeToYaml } from '../plan/recipe-yaml.ts';
import type { OutputFileInfo } from '../protocol.ts';
import { modelCard } from './model-card.ts';
import { rewriteTokenizer, TokenizerRewriteError } from './tokenizer-files.ts';
import type { MergeJob } from './run-merge.ts';

/** The files that make the tokenizer (taken from the tokenizer's donor, TokenizerFiles.donor). */
const TOKENIZER_FILE_NAMES = [
  'tokenizer_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer.model',
  'added_tokens.json',
  'merges.txt',
  'vocab.json',
  'chat_template.jinja',
  'chat_template.json',
] as const;
const TOKENIZER_FILES: ReadonlySet<string> = new Set(TOKENIZER_FILE_NAMES);

/**
 * What mergekit's --copy-tokenizer copies from the donor (plus vocab.json for GPT-2-style
 * tokenizers), and the processor files its vision-language architectures carry along
 * (`tagalong_files`), without which a merged VLM's processor does not load.
 */
export const DONOR_FILES = [
  ...TOKENIZER_FILE_NAMES,
  'generation_config.json',
  'preprocessor_config.json',
  'video_preprocessor_config.json',
  'processor_config.json',
] as const;

/** What mergekit's --copy-tokenizer copies (its _copy_tokenizer), which --no-copy-tokenizer leaves out. */
export const COPIED_WITH_TOKENIZER: ReadonlySet<string> = new Set([
  ...TOKENIZER_FILE_NAMES,
  'generation_config.json',
]);

/** The tokenizer files the plan changes, as text, and the donor's files that no longer apply. */
async function rewrittenTokenizer(
  plan: TokenizerFiles,
  donor: LoadedModel,
  read: (m: LoadedModel, f: string) => Promise<Uint8Array | undefined>,
  warn: (w: string) => void,
): Promise<{ files: Map<string, string>; drop: Set<string> } | undefined> {
  const text = async (f: string): Promise<string | undefined> => {
    const b = await read(donor, f);
    return b && new TextDecoder().decode(b);
  };
  const tokenizerJson = await text('tokenizer.json');
  if (tokenizerJson === undefined) {
    if (plan.stripFrom !== undefined || plan.append.length > 0) {
      throw new Error(`${donor.id} has no tokenizer.json to write the merged tokenizer from`);
    }
  }
  let out: ReturnType<typeof rewriteTokenizer>;
  try {
    out = rewriteTokenizer({
      tokenizerJson,
      tokenizerConfig: await text('tokenizer_config.json'),
      chatTemplateJinja: await text('chat_template.jinja'),
      ...(plan.stripFrom !== undefined && { stripFrom: plan.stripFrom }),
      append: plan.append,
      ...(plan.chatTemplate !== undefined && { chatTemplate: plan.chatTemplate }),
    });
  } catch (e) {
    // Only a chat template to set: the weights are written and match the donor's tokenizer, so
    // its files are copied as they are, as mergekit keeps a merge whose tokenizer it cannot save
    // ("Failed to copy tokenizer"). A changed vocabulary has no such way out: the planner reads
    // what this rewrite needs before any weight (workers/io/read-tokenizer.ts).
    if (!(e instanceof TokenizerRewriteError) || plan.stripFrom !== undefined || plan.append.length > 0) {
      throw e;
    }
    warn(`${donor.id}'s tokenizer files are copied as they are, without the chat template: ${e.message}`);
    return undefined;
  }
  if (!out) return undefined;
  return { files: new Map(Object.entries(out.files)), drop: new Set(out.dropFiles) };
}

export async function writeMetadataFiles(
  job: MergeJob,
  plan: MergePlan,
  models: ReadonlyMap<string, LoadedModel>,
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
  const donor = models.get(plan.donor)!;
  const tokenizerDonor = models.get(plan.tokenizerFiles?.donor ?? plan.donor)!;
  const read = (m: LoadedModel, f: string): Promise<Uint8Array | undefined> =>
    m.files.includes(f) ? m.source.readFile(f, job.signal, MAX_SIDE_FILE_BYTES) : Promise.resolve(undefined);
  const rewritten = plan.tokenizerFiles
    ? await rewrittenTokenizer(plan.tokenizerFiles, tokenizerDonor, read, warn)
    : undefined;
  let copied = 0;
  // mergekit's --no-copy-tokenizer skips what its _copy_tokenizer copies, unless tokenizers merge.
  const skip =
    job.copyTokenizer === false && !plan.tokenizerFiles ? COPIED_WITH_TOKENIZER : new Set<string>();
  for (const f of DONOR_FILES) {
    const from = TOKENIZER_FILES.has(f) ? tokenizerDonor : donor;
    if (rewritten?.drop.has(f) || skip.has(f)) continue;
    const text = rewritten?.files.get(f);
    const data = text ?? (await read(from, f));
    if (data !== undefined) {
      await put(f, data);
      if (TOKENIZER_FILES.has(f)) copied++;
    }
  }
  if (copied === 0 && skip.size === 0)
    warn(`${tokenizerDonor.id} has no tokenizer files to copy; add them to the output before using it`);
  if (job.writeModelCard !== false) {
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
  }
  await put('config.json', `${JSON.stringify(plan.config, null, 2)}\n`);
  return files;
}
