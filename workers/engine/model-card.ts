/**
 * The README.md model card mergekit writes: front matter with base_model (Hub repos only) and
 * the merge / mergekit tags, the method with its paper link, the models, and the recipe.
 * Everything in it is plain text from the recipe; nothing is rendered as HTML.
 */
import { getMethod } from '../methods/registry.ts';
import type { Recipe } from '../plan/recipe.ts';
import { referencedModels } from '../plan/recipe.ts';

/** A model's Hub repo: the name without its @revision. */
function repoOf(ref: string): string {
  return ref.split('@')[0]!;
}

function yamlString(s: string): string {
  return /^[\w./@-]+$/.test(s) ? s : JSON.stringify(s);
}

export function modelCard(opts: {
  readonly name: string;
  readonly recipe: Recipe;
  readonly recipeYaml: string;
  /** Models that are Hub repositories (linked, and listed as base_model). */
  readonly hubModels: ReadonlySet<string>;
}): string {
  const { recipe, hubModels } = opts;
  const method = getMethod(recipe.merge_method);
  const models = referencedModels(recipe);
  // `base+adapter` (a LoRA merged in) names two repos: each is listed and linked on its own.
  const onHub = (m: string, part: string): boolean => hubModels.has(part) || hubModels.has(m);
  const hub = [
    ...new Set(
      models.flatMap((m) =>
        m
          .split('+')
          .filter((p) => onHub(m, p))
          .map(repoOf),
      ),
    ),
  ];
  const link = (m: string): string =>
    m
      .split('+')
      .map((p) => (onHub(m, p) ? `[${p}](https://huggingface.co/${repoOf(p)})` : p))
      .join('+');
  // mergekit does not name slerp's base as "the base" (its t=0 end is just another input).
  const base = recipe.merge_method === 'slerp' ? undefined : recipe.base_model;
  const methodText = method?.paper
    ? `[${method.prettyName}](${method.paper.url})`
    : (method?.prettyName ?? recipe.merge_method);
  const front = [
    '---',
    hub.length > 0 ? `base_model:\n${hub.map((m) => `- ${yamlString(m)}`).join('\n')}` : 'base_model: []',
    'library_name: transformers',
    'tags:',
    '- mergekit',
    '- merge',
    '---',
  ].join('\n');
  return `${front}
# ${opts.name}

This is a merge of pre-trained language models created with Merge Studio, using mergekit's methods and recipe format ([mergekit](https://github.com/arcee-ai/mergekit)).

## Merge Details
### Merge Method

This model was merged using the ${methodText} merge method${base ? ` using ${link(base)} as a base` : ''}.

### Models Merged

The following models were included in the merge:
${models
  .filter((m) => m !== base)
  .map((m) => `* ${link(m)}`)
  .join('\n')}

### Configuration

The following YAML configuration was used to produce this model:

\`\`\`yaml
${opts.recipeYaml.trimEnd()}
\`\`\`
`;
}
