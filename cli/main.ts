/**
 * merge-studio: the command-line face of the engine.
 *   merge RECIPE.yml --out OUT [--models DIR] [--hub-url URL]   run a merge
 *   validate RECIPE.yml [--models DIR] [--hub-url URL]          check a recipe (and the models)
 *   multi CONFIG.yml --intermediate-dir DIR [--out OUT]         multi-stage merge (mergekit-multi)
 *   serve DIR                                                   offer local folders as a hub
 *   eval MODEL_DIR --text FILE                                  mean loss of a model on a text
 *   moe CONFIG.yml --out OUT [--models DIR]                     mergekit-moe: a mixture of experts
 *   extract-lora --model FT --base BASE --out OUT               mergekit-extract-lora: a LoRA of FT - BASE
 *   pytorch CONFIG.yml --out OUT                                mergekit-pytorch: bare checkpoints, by tensor name
 *   publish DIR --repo NAMESPACE/NAME                           a finished output folder as a Hub repo
 *   legacy OUT --merge M --merge M [--base-model B]             mergekit-legacy's command line
 *   layershuffle OUT --model A --model B                        mergekit-layershuffle: layers drawn at random
 *   bakllama CONFIG.yml OUT                                     a bakllama configuration (layer slices)
 *   fill-missing BASE SUBMODEL --out OUT                        a merged part put back into its bigger model
 *   tokensurgeon MODEL DONOR OUT                                mergekit-tokensurgeon: MODEL with DONOR's tokenizer
 *
 * Exit codes: 0 ok, 2 invalid recipe or input, 1 any other failure, 130 cancelled (Ctrl-C).
 */
import { UsageError } from './args.ts';
import { exitCodeOf } from './errors.ts';
import { wasInterrupted } from './interrupt.ts';
import { bakllamaCommand } from './commands/bakllama.ts';
import { evalCommand } from './commands/eval.ts';
import { extractLoraCommand } from './commands/extract-lora.ts';
import { fillMissingCommand } from './commands/fill-missing.ts';
import { layershuffleCommand } from './commands/layershuffle.ts';
import { legacyCommand } from './commands/legacy.ts';
import { mergeCommand } from './commands/merge.ts';
import { moeCommand } from './commands/moe.ts';
import { pytorchCommand } from './commands/pytorch.ts';
import { publishCommand } from './commands/publish.ts';
import { multiCommand } from './commands/multi.ts';
import { serveCommand } from './commands/serve.ts';
import { tokensurgeonCommand } from './commands/tokensurgeon.ts';
import { validateCommand } from './commands/validate.ts';

const HELP = `merge-studio: merge language models with mergekit's methods and recipes

Usage:
  merge-studio merge RECIPE.yml --out OUT [--models DIR] [--hub-url URL] [--token TOKEN] [options]
  merge-studio validate RECIPE.yml [--models DIR] [--hub-url URL] [--token TOKEN]
  merge-studio multi CONFIG.yml --intermediate-dir DIR [--out OUT] [--no-lazy] [--dry-run] [options]
  merge-studio serve DIR [--port 5174] [--host 127.0.0.1] [--allow-origin ORIGIN ...]
  merge-studio eval MODEL_DIR --text FILE [--text FILE ...] [--windows K] [--json]
  merge-studio moe CONFIG.yml --out OUT [--models DIR] [--hub-url URL] [--token TOKEN] [options]
  merge-studio extract-lora --model FT --base BASE --out OUT [--max-rank 128] [options]
  merge-studio pytorch CONFIG.yml --out OUT [--tensor-union | --tensor-intersection] [options]
  merge-studio publish DIR --repo NAMESPACE/NAME [--private] [--message TEXT] [--hub-url URL] [--token TOKEN]
  merge-studio legacy OUT --merge MODEL [--merge MODEL ...] [--base-model B] [--method ties] [options]
  merge-studio layershuffle OUT --model A --model B [--weight W ...] [--full-random] [options]
  merge-studio bakllama CONFIG.yml OUT [--fp16] [options]
  merge-studio fill-missing BASE SUBMODEL --out OUT [--shard-size SIZE] [--models DIR] [--hub-url URL] [--token TOKEN]
  merge-studio tokensurgeon MODEL DONOR OUT [-a omp] [-k 64] [options]

Models: a model named in a recipe is read from a local folder when one exists, as in mergekit:
first DIR/<name> with --models DIR, then the name as a path from the working directory
(/abs/path, ./x, ../x, or a plain name such as org/name that is a folder here). A path that is
not a folder is an error. Other names are Hub repos (org/name or org/name@revision) on --hub-url,
$HF_ENDPOINT or https://huggingface.co, so one recipe can mix folders and Hub repos; with
--models and no --hub-url, the network is not used. The token comes from --token, else
$HF_TOKEN, and is sent only to the hub. $HF_TOKEN is used only for huggingface.co and
$HF_ENDPOINT: for any other --hub-url, give that hub's token with --token. A token goes only
over https://, or plain http:// to this machine (127.0.0.1, ::1, localhost).

merge options:
  --out DIR            output folder (Hugging Face layout); run again to resume; one merge
                       at a time holds it (DIR/.merge-studio-lock, removed at the end)
  --shard-size SIZE    largest output shard, decimal units (default 5B = 5 GB)
  --seed N             seed for random methods when the recipe sets none (default 0)
  --name NAME          title of the model card (default: the output folder's name)
  mergekit-yaml's command line runs too: RECIPE.yml OUT, --out-shard-size, --random-seed,
  --no-copy-tokenizer, --no-write-model-card and --quiet work as there; --cuda, --lazy-unpickle,
  --allow-crimes and its other device and thread flags are accepted with a note that they change
  nothing here; --no-safe-serialization and --lora-merge-dtype are refused. multi and moe take
  them too (moe also as CONFIG.yml OUT), and multi mergekit-multi's --out-path for --out.

multi (mergekit-multi): CONFIG holds recipes separated by ---, each with a name: except the
final merge. A model named like a stage reads that stage's output. Takes merge's options but
--name; see docs/multi.md.
  --intermediate-dir DIR  folder of the named stages (DIR/<name>); -I DIR for short
  --out OUT            the final (unnamed) merge's folder: required when there is one, refused if not
  --no-lazy            merge every stage again (default --lazy: keep a stage's finished model)
  --dry-run            check every stage and print the order, merge nothing (--out optional)

moe options (mergekit-moe: a Mixtral, DeepSeek, Qwen2 or Qwen3 MoE; see docs/moe.md):
  --out DIR, --shard-size SIZE, --name NAME   as for merge
  --seed N             seed of the random gate modes and the experts' noise_scale (default 0)
  --i-understand-this-is-not-useful-without-training
                       allow experts that are all the same model (sparse upcycling)

extract-lora options (mergekit-extract-lora: PEFT LoRA factors of FT - BASE by SVD; see
docs/extract-lora.md). FT and BASE are read like a recipe's models (--models, --hub-url, --token).
  --max-rank N         largest rank of a module (default 128)
  --sv-epsilon E       drop singular values at or below E (default 0: keep max-rank)
  --no-distribute-scale  A = S V^T, B = U (default: sqrt(S) on both)
  --embed-lora         decompose embeddings too (default: save them whole, modules_to_save)
  --save-module NAME   save a module whole (full name or last part); repeatable
  -e, --exclude-regex R / -i, --include-regex R   skip / keep only matching modules; repeatable
  --skip-undecomposable  leave out norms and other non-2-D weights (default: save them whole)
  --lora-bias          set lora_bias, so PEFT applies the bias changes (lora_B.bias) it
                       otherwise ignores, as mergekit writes them; merge_and_unload then
                       refuses layers without a bias

pytorch options (mergekit-pytorch: checkpoints that need not be transformers models, merged by
tensor name into OUT/model.safetensors; see docs/differences.md). CONFIG's models are paths from
the working directory: .safetensors, .bin, .pt, .pth or .ckpt files, or folders of weights. A
parameter's gradient takes its first value (there are no layers); filters match tensor names.
  --out DIR, --shard-size SIZE, --seed N, --lanes N   as for merge (OUT may also follow CONFIG)
  -u, --tensor-union   merge a tensor some models lack from the models that have it
  -i, --tensor-intersection  leave out tensors some models lack (default: an error naming them)

publish: a finished output folder (config.json or adapter_config.json, every shard of its index)
as the model repo NAMESPACE/NAME on the hub, in one commit; the repo is created when missing
(--private for a private one). Our lock, job state and unfinished shards are never sent. The
token (--token or $HF_TOKEN, as above) needs write access. A cancelled or failed publish commits
nothing; publishing again does not send files the hub already has. See docs/hub.md.
  --repo NAMESPACE/NAME  the repo (your user name or an organisation you may write to)
  --private            create the repo private (an existing repo keeps its visibility)
  -m, --message TEXT   the commit's title

fill-missing options (mergekit's scripts/fill_missing_params.py: BASE's files and tensors, the
tensors SUBMODEL has taken from it, e.g. a merged language model put back into its
vision-language model; see docs/fill-missing.md). BASE and SUBMODEL are read like a recipe's
models (--models, --hub-url, --token); a \`language_model.\`-style prefix is detected as in mergekit,
and a language model nested as \`model.language_model.*\` (which mergekit's script cannot fill) too.
  --out DIR            output folder, as for merge (mergekit's --output_dir too); run again to resume
  --shard-size SIZE    largest output shard, decimal units (default 5 GiB, as mergekit's script);
                       mergekit's --max_shard_size BYTES too
  Refused: SUBMODEL tensors whose shape or dtype differs from BASE's, SUBMODEL tensors with no
  BASE tensor to replace, and a BASE with no more tensors than SUBMODEL.

tokensurgeon options (mergekit-tokensurgeon: MODEL's weights with DONOR's tokenizer; the
embedding and lm_head are rebuilt in DONOR's vocabulary order, shared tokens copied, new ones
approximated; see docs/tokensurgeon.md). MODEL and DONOR are read like a recipe's models.
  -a, --approximation-method M  omp (default), common_interpolation, mp_rope, landmark_pca,
                       stb, subword, mean, zero, randn or john_hewitt (mp_rope reads both
                       configs' num_attention_heads and rope_theta)
  -k N                 shared tokens per new token for omp / common_interpolation / mp_rope,
                       per basis vector for stb (default 64)
  -c, --cosine-similarity  cosine neighbours for common_interpolation (-nc to turn off)
  -w, --weight-scheme S  distance_proportional (default), barycentric or least_squares
  -s, --subword-method S  how subword combines MODEL's rows of the token's pieces: mean
                       (default), sum, weighted_mean or first_last
  --prefix-match / --byte-match no|yes|embed|lm_head  match a new token by its longest prefix
                       / by its <0xNN> byte token (default no; -pm, -bm as in mergekit)
  --magikarp           copy and use only tokens well trained in both models (the others
                       are approximated, or zeroed when badly trained in both)
  --new-vocab-noise S / --new-vocab-scale F  Gaussian noise of deviation S on / then a
                       factor F for the approximated rows (-nvn, -nvs)
  --batch-size N       accepted; progress and Ctrl-C are checked every 50 ms whatever it is
  --seed N, --shard-size SIZE  as for merge; run again to resume

mergekit's recipe-making scripts: each builds a recipe, checks it like a recipe file and merges
it as merge does (merge's options apply; the recipe is saved as OUT/mergekit_config.yml).
See docs/differences.md ("mergekit's other scripts").
  legacy (mergekit-legacy): --merge MODEL (repeatable), --base-model B (added to the models
    when not merged), --method M (default ties), --density D / --weight W (one for all models,
    or one per model in order; without --weight every model gets 1), --no-normalize,
    --int8-mask, --bf16 (dtype bfloat16), --naive-count (sign election by count),
    --print-yaml. slerp takes exactly one --weight, as t.
  layershuffle (mergekit-layershuffle): output layer i is layer i of a model drawn with
    probability proportional to its --weight (default equal); -m/--model and -w/--weight are
    repeatable. --full-random: each model gives floor(layers x weight) layers drawn from all
    its layers, in shuffled order. --seed N repeats a draw (without it one is drawn and
    printed); --fp16 (dtype float16), --print-yaml, --write-yaml FILE, --dry-run (the recipe
    only; OUT is still named).
  bakllama: CONFIG has layer_slices: [{model, start, end, scale?}] (end exclusive; scale
    multiplies that slice's down_proj); embedding_source / lm_head_source, when given, must
    be the first / last slice's model. --fp16, --print-yaml.

Exit codes: 0 ok, 2 invalid recipe or input, 1 other failure, 130 cancelled (Ctrl-C).
`;

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  merge: mergeCommand,
  validate: validateCommand,
  multi: multiCommand,
  serve: serveCommand,
  eval: evalCommand,
  moe: moeCommand,
  'extract-lora': extractLoraCommand,
  pytorch: pytorchCommand,
  publish: publishCommand,
  legacy: legacyCommand,
  layershuffle: layershuffleCommand,
  bakllama: bakllamaCommand,
  'fill-missing': fillMissingCommand,
  tokensurgeon: tokensurgeonCommand,
};

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(HELP);
    return cmd ? 0 : 2;
  }
  const run = COMMANDS[cmd];
  if (!run) {
    process.stderr.write(`unknown command '${cmd}'\n\n${HELP}`);
    return 2;
  }
  try {
    await run(rest);
    return 0;
  } catch (e) {
    if (wasInterrupted()) {
      process.stderr.write(
        cmd === 'publish'
          ? 'cancelled: nothing was committed to the hub; publish again to finish (files the hub already has are not sent again)\n'
          : 'cancelled: nothing that looks complete was written; run the same command again (a merge, MoE build, fill-missing or tokensurgeon resumes from its finished shards)\n',
      );
      return 130;
    }
    const code = exitCodeOf(e);
    process.stderr.write(`${e instanceof UsageError ? 'usage: ' : 'error: '}${(e as Error).message}\n`);
    if (code === 1 && process.env['MERGE_STUDIO_DEBUG']) process.stderr.write(`${(e as Error).stack}\n`);
    return code;
  }
}

process.exitCode = await main(process.argv.slice(2));
