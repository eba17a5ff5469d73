import { describe, expect, it } from 'vitest';
import { kernelModule } from './kernel-module.ts';

describe('evaluation kernel module', () => {
  it('assembles the evaluation kernels into a valid module', () => {
    expect(kernelModule()).toBeInstanceOf(WebAssembly.Module);
  });
});
