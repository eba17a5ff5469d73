/**
 * What the curves resolve to: each curve's value at each output layer (from the curves alone,
 * so it follows a drag live), and, once the models' headers are read, every tensor's value and
 * the filter it matched, from the merge plan itself. Tensors are listed only for the layers
 * the user opens, so a model with thousands of tensors stays light.
 */
import { useState } from 'react';
import { curveColor } from './curve-colors.ts';
import { curveLabel, type CurveSet } from './curve-model.ts';
import { formatValue, valuesPerLayer, type LayerPosition } from './layer-positions.ts';
import { describeOrigin, type TensorGroup } from './tensor-groups.ts';

export type PlanView =
  | { readonly kind: 'groups'; readonly groups: readonly TensorGroup[] }
  | { readonly kind: 'waiting'; readonly text: string }
  | { readonly kind: 'error'; readonly text: string };

function GroupItem({ group }: { readonly group: TensorGroup }) {
  const [open, setOpen] = useState(false);
  return (
    <li>
      <details onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary>
          <strong>{group.label}</strong>:{' '}
          {group.summary
            .map((s) => (group.summary.length > 1 ? `${s.count} × ${s.text}` : s.text))
            .join('; ')}
        </summary>
        {open && (
          <table className="tensor-table">
            <thead>
              <tr>
                <th scope="col">Tensor</th>
                <th scope="col">Value</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {group.rows.map((r) => (
                <tr key={r.tensor}>
                  <td>
                    <code>{r.tensor}</code>
                  </td>
                  <td>{formatValue(r.value)}</td>
                  <td>{describeOrigin(r.origin)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </details>
    </li>
  );
}

export function LayerValues(props: {
  readonly curves: CurveSet;
  readonly positions: readonly LayerPosition[];
  readonly sliced: boolean;
  readonly plan: PlanView;
}) {
  const { curves, positions, sliced, plan } = props;
  const rows = valuesPerLayer(curves, positions);
  return (
    <div className="layer-values">
      <div className="table-scroll">
        <table>
          <caption>Value of each curve at each output layer</caption>
          <thead>
            <tr>
              <th scope="col">Layer</th>
              {sliced && <th scope="col">Slice</th>}
              {curves.map((c, i) => (
                <th scope="col" key={c.filter ?? '*'}>
                  <span className="swatch" style={{ background: curveColor(curves, i) }} aria-hidden="true" />
                  {curveLabel(c)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {positions.map((pos, i) => (
              <tr key={pos.layer}>
                <th scope="row">{pos.layer}</th>
                {sliced && <td>{pos.slice + 1}</td>}
                {rows[i]!.map((v, j) => (
                  <td key={j}>{formatValue(v)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h4>Which curve each tensor follows</h4>
      {plan.kind === 'groups' ? (
        <ul className="tensor-groups" aria-label="Tensors by layer">
          {plan.groups.map((g) => (
            <GroupItem key={g.label} group={g} />
          ))}
        </ul>
      ) : (
        <p className={plan.kind === 'error' ? 'field-error' : 'muted'}>{plan.text}</p>
      )}
    </div>
  );
}
