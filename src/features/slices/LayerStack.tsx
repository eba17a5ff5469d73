/**
 * The output's layers, bottom to top: a strip with one cell per output layer, coloured by the
 * model it comes from and numbered with the source layer, and a table per slice (the strip is
 * a picture; the table is what a screen reader reads). d3 computes the band scale and colours.
 */
import { scaleBand, scaleOrdinal, schemeTableau10 } from 'd3';
import { layersText, type LayerStack as Stack } from './slice-stack.ts';

const W = 440;
const H = 58;
/** Above this many output layers the cells are too narrow for their numbers. */
const MAX_NUMBERED = 40;
/** Height of a layer's cell, in viewBox units. */
const CELL = 30;

function describe(srcs: Stack['rows'][number]['sources']): string {
  return srcs.map((s) => `${s.model} ${layersText(s.start, s.end)}`).join(' merged with ');
}

export function LayerStack({ stack, models }: { readonly stack: Stack; readonly models: readonly string[] }) {
  const color = scaleOrdinal<string, string>().domain(models).range(schemeTableau10);
  const x = scaleBand<number>()
    .domain(Array.from({ length: stack.total }, (_, i) => i))
    .range([0, W])
    .paddingInner(0.08);
  const cells = stack.rows.flatMap((r) =>
    Array.from({ length: r.outEnd - r.outStart }, (_, k) => ({
      out: r.outStart + k,
      slice: r.slice,
      sources: r.sources.map((s) => ({ model: s.model, layer: s.start + k })),
    })),
  );
  return (
    <div className="layer-stack">
      {stack.total > 0 && (
        <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Output layer stack, ${stack.total} layers`}>
          {cells.map((c) => {
            const x0 = x(c.out) ?? 0;
            const first = c.sources[0];
            // A merged layer is split into one band per source, each in its model's colour.
            const band = CELL / Math.max(1, c.sources.length);
            return (
              <g key={c.out}>
                <title>
                  output layer {c.out} ← {c.sources.map((s) => `${s.model} layer ${s.layer}`).join(' + ')}
                </title>
                {c.sources.map((s, k) => (
                  <rect
                    key={k}
                    x={x0}
                    y={4 + k * band}
                    width={x.bandwidth()}
                    height={band}
                    fill={color(s.model)}
                    opacity={c.slice % 2 === 0 ? 1 : 0.75}
                  />
                ))}
                {stack.total <= MAX_NUMBERED && first && c.sources.every((s) => s.layer === first.layer) && (
                  <text x={x0 + x.bandwidth() / 2} y={23} textAnchor="middle" className="in-cell">
                    {first.layer}
                  </text>
                )}
                {stack.total <= MAX_NUMBERED && (
                  <text x={x0 + x.bandwidth() / 2} y={50} textAnchor="middle">
                    {c.out}
                  </text>
                )}
              </g>
            );
          })}
        </svg>
      )}
      {stack.total > 0 && stack.total <= MAX_NUMBERED && (
        <p className="muted" aria-hidden="true">
          One cell per output layer (its number below), coloured by the model(s) it comes from, with the
          source layer inside.
        </p>
      )}
      <ul className="stack-legend" aria-hidden="true">
        {models
          .filter((m) => stack.rows.some((r) => r.sources.some((s) => s.model === m)))
          .map((m) => (
            <li key={m}>
              <span className="swatch" style={{ background: color(m) }} />
              {m}
            </li>
          ))}
      </ul>
      <table className="stack-table">
        <caption>
          Output layer stack: {stack.total} layers (config.json’s num_hidden_layers becomes {stack.total})
        </caption>
        <thead>
          <tr>
            <th scope="col">Output</th>
            <th scope="col">From</th>
          </tr>
        </thead>
        <tbody>
          {stack.rows.map((r) => (
            <tr key={r.slice}>
              <th scope="row">{layersText(r.outStart, r.outEnd)}</th>
              <td>{describe(r.sources)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
