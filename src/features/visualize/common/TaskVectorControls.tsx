/** Tensor and patch pickers for the TIES and DARE views' real task vectors. */
import { NumberField } from '../../../shared/NumberField.tsx';
import { PATCH } from '../tensor-region.ts';
import { Choice, LoadState, tensorOptions } from './Controls.tsx';
import type { TaskVectorSource } from './use-task-vectors.ts';

export function TaskVectorControls({ src }: { readonly src: TaskVectorSource }) {
  const region = src.regions?.[0];
  return (
    <div className="vis-pickers">
      <p className="muted">
        Task vectors of {src.modelIds.join(', ') || 'no model'} against the base {src.baseId ?? '(none)'}.
      </p>
      {src.names.length > 0 && (
        <Choice
          label="Tensor"
          value={src.tensor ?? ''}
          options={tensorOptions(src.names, src.baseModel)}
          onChange={src.setTensor}
        />
      )}
      {src.size && src.size.rows > PATCH && (
        <NumberField
          label="Patch: first row"
          value={src.patch.row}
          min={0}
          max={src.size.rows - PATCH}
          step={PATCH}
          integer
          lower={{ value: 0 }}
          upper={{ value: src.size.rows - PATCH }}
          onChange={(row) => src.setPatch({ ...src.patch, row })}
        />
      )}
      {src.size && src.size.cols > PATCH && (
        <NumberField
          label="Patch: first column"
          value={src.patch.col}
          min={0}
          max={src.size.cols - PATCH}
          step={PATCH}
          integer
          lower={{ value: 0 }}
          upper={{ value: src.size.cols - PATCH }}
          onChange={(col) => src.setPatch({ ...src.patch, col })}
        />
      )}
      {region && (
        <p className="field-hint">
          {region.whole
            ? 'Read whole: trims and masks are the ones the merge makes.'
            : `Read rows ${region.rowStart}–${region.rowStart + region.rows - 1} only (the tensor is large): trims and masks are those of these rows.`}
        </p>
      )}
      <LoadState pending={src.pending} error={src.error} />
    </div>
  );
}
