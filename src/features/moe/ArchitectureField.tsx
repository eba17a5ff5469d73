/**
 * The output architecture select: "Chosen from the models" (no `architecture:` key, mergekit
 * chooses) or one of mergekit's names. A value the YAML has that is none of those (mergekit
 * matches name prefixes in any case: `Mix`, `DeepSeek`) is an option of its own, as written, so
 * showing a config never changes it. The hint says what the choice needs.
 */
import { useStudio } from '../../stores/store.ts';
import { ARCHITECTURE_INFO, architectureHint } from './architectures.ts';

export function ArchitectureField({ id }: { readonly id: string }) {
  const architecture = useStudio((s) => s.moe.architecture);
  const setArchitecture = useStudio((s) => s.setMoeArchitecture);
  const asWritten =
    architecture !== undefined && !ARCHITECTURE_INFO.some((a) => a.key === architecture)
      ? architecture
      : undefined;
  return (
    <>
      <label htmlFor={id}>Output architecture</label>
      <select
        id={id}
        value={architecture ?? ''}
        aria-describedby={`${id}-h`}
        onChange={(e) => setArchitecture(e.target.value || undefined)}
      >
        <option value="">Chosen from the models</option>
        {ARCHITECTURE_INFO.map((a) => (
          <option key={a.key} value={a.key}>
            {a.label}
          </option>
        ))}
        {asWritten !== undefined && <option value={asWritten}>{`${asWritten} (as written)`}</option>}
      </select>
      <p id={`${id}-h`} className="field-hint">
        {architectureHint(architecture)}
      </p>
    </>
  );
}
