/**
 * How a MoE config starts: from the models chosen in the model picker ("Use the chosen
 * models": the picker's base, else the first, is the base, every other model an expert), or,
 * while the config is empty, a word on where to begin and, on the demo hub, a demo config of
 * the bundled tinymix models to try the builder at once.
 */
import { selectModelIds } from '../../stores/selectors.ts';
import { DEMO_HUB_URL } from '../../stores/sources-slice.ts';
import { useStudio } from '../../stores/store.ts';
import { DEMO_MOE } from './demo-moe.ts';

export function MoeStart() {
  const chosen = useStudio(selectModelIds);
  const pickerBase = useStudio((s) => s.recipe.base_model);
  const fromChosen = useStudio((s) => s.setMoeFromChosen);
  const empty = useStudio((s) => s.moe.base_model === '' && s.moe.experts.length === 0);
  const onDemo = useStudio((s) => s.hubUrl === DEMO_HUB_URL);
  const editMoeYaml = useStudio((s) => s.editMoeYaml);
  return (
    <>
      {chosen.length > 1 ? (
        <p className="row">
          <button type="button" onClick={() => fromChosen(chosen, pickerBase)}>
            Use the chosen models
          </button>
          <span className="field-hint">
            {pickerBase ?? chosen[0]} as the base,{' '}
            {chosen.length === 2
              ? 'the other one as the expert'
              : `the ${chosen.length - 1} others as experts`}
            .
          </span>
        </p>
      ) : (
        empty && (
          <p className="field-hint">
            Start by choosing the base and the expert models in the model picker (Chosen models), or type
            their ids below.
          </p>
        )
      )}
      {empty && onDemo && (
        <p>
          <button type="button" onClick={() => editMoeYaml(DEMO_MOE)}>
            Start from a demo MoE (code, math and law experts)
          </button>
        </p>
      )}
    </>
  );
}
