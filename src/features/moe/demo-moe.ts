/**
 * docs/moe.md's example, the studio's "Start from a demo MoE": the tinymix base with its code,
 * math and law fine-tunes as experts. Plain data in a file of its own, so the e2e tests use it too.
 */
export const DEMO_MOE = `base_model: tinymix-base
gate_mode: hidden
experts_per_token: 2
experts:
  - source_model: tinymix-code
    positive_prompts:
      - "def merge(a, b):"
      - import os
  - source_model: tinymix-math
    positive_prompts:
      - 37+45=82
      - 12*3=36
  - source_model: tinymix-law
    positive_prompts:
      - The licensee shall
`;
