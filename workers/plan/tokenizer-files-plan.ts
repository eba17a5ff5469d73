/**
 * The output's tokenizer files: the donor's copied as they are, unless tokenizer merging
 * (tokenizer-plan.ts) or `chat_template` changes them. mergekit then re-saves the tokenizer
 * with transformers; we rewrite the donor's files the same way (workers/engine/tokenizer-files.ts).
 */
import type { ModelInfo } from './architecture.ts';
import { chatTemplateFor } from './chat-templates.ts';
import type { TokenizerFiles } from './plan-types.ts';
import { RecipeError } from './problems.ts';
import { referencedModels, type Recipe } from './recipe.ts';
import type { TokenizerPlan } from './tokenizer-plan.ts';

export function planTokenizerFiles(
  recipe: Recipe,
  tokenizer: TokenizerPlan | undefined,
  donor: string,
  models: ReadonlyMap<string, ModelInfo>,
  warnings: Set<string>,
): TokenizerFiles | undefined {
  let chatTemplate: string | undefined;
  if (recipe.chat_template !== undefined) {
    const templates = referencedModels(recipe).map((id) => models.get(id)?.chatTemplate);
    if (recipe.chat_template === 'auto' && templates.some((t) => t === undefined)) {
      warnings.add('chat_template: auto: the models’ templates were not read yet (the merge reads them)');
    } else {
      try {
        chatTemplate = chatTemplateFor(
          recipe.chat_template,
          templates.map((t) => t ?? undefined),
        );
      } catch (e) {
        throw new RecipeError([
          { path: ['chat_template'], message: (e as Error).message, severity: 'error' },
        ]);
      }
      if (chatTemplate === undefined)
        warnings.add('chat_template: auto: no model has a chat template; the donor’s files are kept');
    }
  }
  const files = tokenizer?.files;
  const changes =
    files !== undefined &&
    (files.stripFrom !== undefined || files.append.length > 0 || files.donor !== donor);
  if (!changes && chatTemplate === undefined) return undefined;
  return { ...(files ?? { donor, append: [] }), ...(chatTemplate !== undefined && { chatTemplate }) };
}
