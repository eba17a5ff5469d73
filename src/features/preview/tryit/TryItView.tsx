/**
 * "Try it": text from the current recipe's merge (merged in memory in the preview worker) or
 * from one of its models, greedy or top-k with a seed, streamed as it is generated. Nothing is
 * saved.
 */
import { useId, useState } from 'react';
import type { GenerateResult, Sampling } from '../../../../workers/runtime/preview-api.ts';
import { generateText } from '../../../engine/preview-client.ts';
import { selectModelIds, selectRecipeYaml } from '../../../stores/selectors.ts';
import { useStudio } from '../../../stores/store.ts';
import { NumberInput, useInvalidInputs } from '../common/NumberInput.tsx';
import { TaskStatus } from '../common/TaskStatus.tsx';
import { useWorkerTask } from '../common/use-worker-task.ts';
import { previewSources } from '../eval-texts.ts';

const MERGE = '';

export function TryItView({ blocked }: { readonly blocked: string | undefined }) {
  const id = useId();
  const ids = useStudio(selectModelIds);
  const [from, setFrom] = useState(MERGE);
  const [prompt, setPrompt] = useState('def add(a, b):\n');
  const [maxNew, setMaxNew] = useState(120);
  const [kind, setKind] = useState<Sampling['kind']>('greedy');
  const [k, setK] = useState(8);
  const [temperature, setTemperature] = useState(0.8);
  const [seed, setSeed] = useState(1);
  const [text, setText] = useState('');
  const { invalid, validity } = useInvalidInputs();
  // The sampling boxes count only while they are shown.
  const refused = invalid.filter((n) => n === 'maxNew' || kind === 'top-k');
  const task = useWorkerTask<GenerateResult>();
  const source = from === MERGE || !ids.includes(from) ? MERGE : from;
  const start = (): void => {
    const s = useStudio.getState();
    const sampling: Sampling = kind === 'greedy' ? { kind } : { kind, k, temperature, seed };
    const request = {
      sources: previewSources(selectModelIds(s)),
      prompt,
      maxNewTokens: maxNew,
      sampling,
      ...(source === MERGE ? { recipeText: selectRecipeYaml(s) } : { model: source }),
    };
    setText('');
    void task.run((signal) => generateText(request, setText, signal));
  };
  const result = task.state.status === 'done' ? task.state.result : undefined;
  return (
    <div className="tryit-view">
      <div className="row">
        <label htmlFor={`${id}-from`}>Generate from</label>
        <select id={`${id}-from`} value={source} onChange={(e) => setFrom(e.target.value)}>
          <option value={MERGE}>the merge of the current recipe</option>
          {ids.map((m) => (
            <option key={m} value={m}>
              {m} alone
            </option>
          ))}
        </select>
      </div>
      <label htmlFor={`${id}-prompt`}>Prompt</label>
      <textarea id={`${id}-prompt`} rows={3} value={prompt} onChange={(e) => setPrompt(e.target.value)} />
      <div className="row">
        <NumberInput
          label="New tokens"
          value={maxNew}
          min={1}
          max={2000}
          step={1}
          integer
          onChange={setMaxNew}
          onValidity={validity('maxNew')}
        />
        <fieldset className="inline">
          <legend>Sampling</legend>
          <label>
            <input
              type="radio"
              name={`${id}-s`}
              checked={kind === 'greedy'}
              onChange={() => setKind('greedy')}
            />{' '}
            Greedy
          </label>
          <label>
            <input
              type="radio"
              name={`${id}-s`}
              checked={kind === 'top-k'}
              onChange={() => setKind('top-k')}
            />{' '}
            Top-k
          </label>
        </fieldset>
        {kind === 'top-k' && (
          <>
            <NumberInput
              label="k"
              value={k}
              min={1}
              max={1000}
              step={1}
              integer
              onChange={setK}
              onValidity={validity('k')}
            />
            <NumberInput
              label="Temperature"
              value={temperature}
              min={0.01}
              max={5}
              step={0.1}
              onChange={setTemperature}
              onValidity={validity('temperature')}
            />
            <NumberInput
              label="Seed"
              value={seed}
              min={0}
              step={1}
              integer
              onChange={setSeed}
              onValidity={validity('seed')}
            />
          </>
        )}
        <button
          type="button"
          className="primary"
          disabled={(blocked !== undefined && source === MERGE) || refused.length > 0}
          onClick={start}
        >
          Generate
        </button>
      </div>
      {blocked && source === MERGE && <p className="muted">{blocked}</p>}
      <TaskStatus state={task.state} onCancel={task.cancel} what="Generation" />
      {(text || result) && (
        <div className="tryit-output">
          <pre aria-label="Generated text" aria-live="polite">
            <span className="prompt-echo">{prompt}</span>
            {result?.text ?? text}
          </pre>
          {result && (
            <p className="muted">
              {result.tokens} tokens in {result.generateMs} ms (
              {((result.tokens * 1000) / Math.max(1, result.generateMs)).toFixed(0)} tokens/s), stopped by{' '}
              {result.stop === 'eos'
                ? 'the end-of-text token'
                : result.stop === 'length'
                  ? 'the token limit'
                  : 'the context length'}
              ; loading{source === MERGE ? ' and merging' : ''} took {result.loadMs} ms.
            </p>
          )}
        </div>
      )}
    </div>
  );
}
