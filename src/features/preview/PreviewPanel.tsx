/** Placeholder: being built. */
export function PreviewPanel() {
  return null;
}
