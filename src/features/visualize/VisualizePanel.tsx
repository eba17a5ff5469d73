/** Placeholder: being built. */
export function VisualizePanel() {
  return null;
}
