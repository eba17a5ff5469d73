/** Placeholder: being built. */
export function CurveEditor() {
  return null;
}
