/**
 * d3-drag on the anchor handles React draws (circles with class `anchor` and `data-index`),
 * bound once on the chart's <svg> and picking up only gestures that start on a handle, so
 * handles React adds or removes need no rebinding. The effect only wires gestures; positions
 * come from React. Each gesture keeps the value scale it started with, so widening the axis
 * under the pointer cannot make the anchor jump.
 */
import type { ScaleLinear } from 'd3';
import { drag, select, type D3DragEvent } from 'd3';
import { useEffect, useLayoutEffect, useRef, type RefObject } from 'react';

export interface AnchorDragHandlers {
  /** The value scale (value -> SVG y) in force when a gesture starts. */
  readonly y: ScaleLinear<number, number>;
  readonly onStart: (index: number) => void;
  /** The pointer's value on the starting scale, clamped to that scale's domain. */
  readonly onDrag: (index: number, value: number, domain: readonly [number, number]) => void;
  readonly onEnd: () => void;
}

interface Subject {
  readonly index: number;
  readonly el: SVGCircleElement;
  readonly y: ScaleLinear<number, number>;
}

type DragEvent = D3DragEvent<SVGSVGElement, unknown, Subject>;

function handleOf(target: EventTarget | null): SVGCircleElement | undefined {
  return target instanceof SVGCircleElement && target.classList.contains('anchor') ? target : undefined;
}

export function useAnchorDrag(svg: RefObject<SVGSVGElement | null>, handlers: AnchorDragHandlers): void {
  const latest = useRef(handlers);
  useLayoutEffect(() => {
    latest.current = handlers;
  });
  useEffect(() => {
    const root = svg.current;
    if (!root) return;
    const behaviour = drag<SVGSVGElement, unknown, Subject>()
      .container(root)
      // d3's default filter (primary button, no Ctrl), and only on a handle.
      .filter((e: MouseEvent | TouchEvent) => {
        const plain = !e.ctrlKey && (!('button' in e) || e.button === 0);
        return plain && handleOf(e.target) !== undefined;
      })
      .subject((e: DragEvent) => {
        const el = handleOf((e.sourceEvent as Event).target)!;
        return { index: Number(el.dataset['index']), el, y: latest.current.y.copy() };
      })
      .on('start', (e: DragEvent) => {
        e.subject.el.focus();
        latest.current.onStart(e.subject.index);
      })
      .on('drag', (e: DragEvent) => {
        const [a, b] = e.subject.y.domain() as [number, number];
        const lo = Math.min(a, b);
        const hi = Math.max(a, b);
        latest.current.onDrag(e.subject.index, Math.min(hi, Math.max(lo, e.subject.y.invert(e.y))), [lo, hi]);
      })
      .on('end', () => latest.current.onEnd());
    select(root).call(behaviour);
    return () => {
      select(root).on('.drag', null);
    };
  }, [svg]);
}
