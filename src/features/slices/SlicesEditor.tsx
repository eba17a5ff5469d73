/** Placeholder: being built. */
export function SlicesEditor() {
  return null;
}
