/**
 * How to use the adapter just extracted: in a merge here, as `base+adapter` (mergekit's LoRA
 * form; "Apply LoRA adapter…" in the model picker takes an opened adapter folder or a Hub repo),
 * with one click that opens the written folder as an adapter and adds the model to the merge;
 * with PEFT; and the CLI command that writes the same files.
 */
import { useState } from 'react';
import { useStudio } from '../../stores/store.ts';
import { addAdapterToMerge } from './lora-actions.ts';

export function LoraUsage() {
  const { result, config, outputName } = useStudio((s) => s.loraRun);
  const [problem, setProblem] = useState<string | undefined>();
  const [copied, setCopied] = useState(false);
  if (!result || !config || !outputName) return null;
  const ref = `${config.base}+${outputName}`;
  return (
    <section className="lora-usage" aria-label="Using the adapter">
      <h4>Using it</h4>
      <p>
        In a merge: open the folder “{outputName}” with “Open a local model folder…” (or upload it to the
        Hub), then choose “Apply LoRA adapter…” on {config.base} and give it the adapter: the model becomes
      </p>
      <p className="row">
        <code className="lora-ref">{ref}</code>
        <button
          type="button"
          onClick={() => {
            void navigator.clipboard?.writeText(ref).then(() => setCopied(true));
            setTimeout(() => setCopied(false), 2000);
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        {!config.base.includes('+') && (
          <button type="button" onClick={() => void addAdapterToMerge().then(setProblem)}>
            Add {ref} to the merge
          </button>
        )}
      </p>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
      {result.biasDeltas && (
        <p className="notice">
          {result.loraBias
            ? 'This model’s layers have biases: their changes are in the adapter as lora_B.bias, with lora_bias set, so PEFT and Merge Studio’s base+adapter apply them (PEFT’s merge_and_unload refuses layers without a bias).'
            : 'This model’s layers have biases: their changes are in the adapter as lora_B.bias, as mergekit writes them, which PEFT and Merge Studio’s base+adapter ignore. Extract with “Set lora_bias” to have them applied.'}
        </p>
      )}
      <p>
        With PEFT: <code>PeftModel.from_pretrained(base_model, &quot;{outputName}&quot;)</code>. The same
        files from the command line:
      </p>
      <pre className="log lora-command" aria-label="Command line">
        {result.invocation}
      </pre>
    </section>
  );
}
