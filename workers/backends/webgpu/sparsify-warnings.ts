/**
 * The warnings of workers/methods/shared/sparsify.ts, word for word, for the GPU paths that
 * reach the same situations. The golden parity suite compares the warnings of CPU and GPU
 * runs, so a change on one side only fails there.
 */
export const tiesKeepsNothing = (density: number, n: number): string =>
  `density ${density} keeps no element of a ${n}-element tensor`;

export const breadcrumbsNoOutliers = (n: number): string =>
  `breadcrumbs removes no outliers here (gamma * ${n} < 1), so mergekit keeps nothing of this delta`;
