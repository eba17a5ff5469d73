/**
 * Controls for every parameter of the chosen method: global ones, then one group per model. The
 * settings group ends with the recipe's `merge_studio` options the method takes
 * (StudioOptionFields), which apply to slices recipes too.
 */
import { useId } from 'react';
import { selectMethod } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { ParamControl } from './ParamControl.tsx';
import { StudioOptionFields } from './StudioOptionFields.tsx';

export function ParamControls() {
  const id = useId();
  const method = useStudio(selectMethod);
  const recipe = useStudio((s) => s.recipe);
  const setGlobalParam = useStudio((s) => s.setGlobalParam);
  const setModelParam = useStudio((s) => s.setModelParam);
  const setCurveTarget = useStudio((s) => s.setCurveTarget);
  const setStudioOption = useStudio((s) => s.setStudioOption);
  const globals = method.params.filter((p) => p.scope === 'global');
  const perModel = method.params.filter((p) => p.scope === 'model');
  const top = recipe.parameters ?? {};
  const merged = (recipe.models ?? []).filter(
    (m) => method.base === 'input' || m.model !== recipe.base_model,
  );
  const studio = recipe.merge_studio;
  const hasOptions =
    (method.studioOptions?.length ?? 0) > 0 ||
    studio?.consensus !== undefined ||
    studio?.rescale_norm !== undefined ||
    studio?.topk_scope !== undefined ||
    studio?.weights !== undefined;
  const options = hasOptions && (
    <StudioOptionFields id={id} recipe={recipe} method={method} edit={{ setStudioOption }} />
  );
  if (recipe.slices || recipe.modules) {
    return (
      <div className="param-controls">
        <p className="muted">
          {recipe.modules
            ? "This recipe uses modules: edit each module's parameters in the YAML."
            : 'This recipe uses slices: edit its parameters in the slices editor or the YAML.'}
        </p>
        {options && (
          <fieldset>
            <legend>{method.prettyName} settings</legend>
            {options}
          </fieldset>
        )}
      </div>
    );
  }
  return (
    <div className="param-controls">
      {(globals.length > 0 || options) && (
        <fieldset>
          <legend>{method.prettyName} settings</legend>
          {globals.map((spec) => (
            <ParamControl
              key={spec.name}
              spec={spec}
              label={spec.name}
              value={top[spec.name]}
              fallback={spec.default}
              onChange={(v) => setGlobalParam(spec.name, v)}
              onEditCurve={() => setCurveTarget({ name: spec.name })}
            />
          ))}
          {options}
        </fieldset>
      )}
      {perModel.length > 0 &&
        merged.map((m) => (
          <fieldset key={m.model}>
            <legend>{m.model}</legend>
            {perModel.map((spec) => (
              <ParamControl
                key={spec.name}
                spec={spec}
                label={`${spec.name} of ${m.model}`}
                value={m.parameters?.[spec.name]}
                fallback={top[spec.name] ?? spec.default}
                onChange={(v) => setModelParam(m.model, spec.name, v)}
                onEditCurve={() => setCurveTarget({ name: spec.name, model: m.model })}
              />
            ))}
          </fieldset>
        ))}
      {merged.length === 0 && perModel.length > 0 && (
        <p className="muted">Add models to set their {perModel.map((p) => p.name).join(', ')}.</p>
      )}
    </div>
  );
}
