/**
 * `chat_template:` as mergekit resolves it: auto (plurality of the stripped templates, ties to the
 * first seen), the built-in names, literal Jinja (mergekit's own test templates), and the
 * settings it refuses. The built-ins were also rendered with Python's jinja2 (transformers'
 * environment, with and without trim_blocks/lstrip_blocks) when written; here their structure
 * is checked.
 */
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_CHAT_TEMPLATE_NAMES,
  BUILTIN_CHAT_TEMPLATES,
  ChatTemplateError,
  chatTemplateFor,
  pythonStrip,
  readModelChatTemplate,
  resolveChatTemplate,
} from './chat-templates.ts';

describe('built-in templates', () => {
  const markers: Record<string, string[]> = {
    alpaca: ['### Instruction:\\n', '### Response:\\n', '### Input:\\n'],
    chatml: ["'<|im_start|>' + message['role'] + '\\n'", "'<|im_end|>\\n'", "'<|im_start|>assistant\\n'"],
    exaone: ['[|system|][|endofturn|]\\n', '[|endofturn|]\\n', '[|assistant|]'],
    llama3: ['{{ bos_token }}', '<|start_header_id|>', '<|end_header_id|>\\n\\n', '<|eot_id|>'],
    mistral: ['{{ bos_token }}', "'[INST] '", "' [/INST]'", 'eos_token'],
  };

  for (const name of BUILTIN_CHAT_TEMPLATE_NAMES) {
    it(`${name} resolves to its own template`, () => {
      const r = resolveChatTemplate(name, []);
      expect(r).toEqual({ template: BUILTIN_CHAT_TEMPLATES[name], from: 'builtin', name });
      for (const m of markers[name] ?? []) expect(r.template).toContain(m);
    });

    it(`${name} is one line of balanced Jinja`, () => {
      const t = BUILTIN_CHAT_TEMPLATES[name];
      expect(t).not.toContain('\n'); // renders alike with or without trim_blocks
      const count = (re: RegExp) => t.match(re)?.length ?? 0;
      expect(count(/\{%/g)).toBe(count(/%\}/g));
      expect(count(/\{\{/g)).toBe(count(/\}\}/g));
      expect(count(/\{% for /g)).toBe(count(/\{% endfor %\}/g));
      expect(count(/\{% if /g)).toBe(count(/\{% endif %\}/g));
      const quotes = t.replace(/\\./g, '').match(/'/g)?.length ?? 0;
      expect(quotes % 2).toBe(0);
    });
  }
});

const refuse = (s: string, msg: RegExp) => {
  expect(() => resolveChatTemplate(s, [])).toThrow(ChatTemplateError);
  expect(() => resolveChatTemplate(s, [])).toThrow(msg);
};

describe('literal templates', () => {
  it("accepts mergekit's test templates as they are", () => {
    const short = "{{messages[0]['content']}}";
    expect(resolveChatTemplate(short, [])).toEqual({ template: short, from: 'literal' });
    const long =
      "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}{# " +
      'x'.repeat(300) +
      ' #}';
    expect(resolveChatTemplate(long, []).template).toBe(long);
  });

  it('keeps surrounding whitespace (only auto strips)', () => {
    const t = "  {{ messages[0]['content'] }}\n";
    expect(chatTemplateFor(t, [])).toBe(t);
  });

  it('refuses what mergekit refuses, saying what is accepted', () => {
    refuse('vicuna', /neither a known name nor a Jinja template: use "auto", one of alpaca, chatml, exaone/);
    refuse('ChatML', /neither a known name/);
    refuse('', /neither a known name/);
    refuse('a long sentence that is not a template at all', /neither a known name/);
    refuse('{{ x }}', /too short/);
    // A name is only a name when it is one line without Jinja.
    refuse('chatml\n', /neither a known name/);
  });
});

describe('auto', () => {
  const A = '{{ a }} template A';
  const B = '{{ b }} template B';

  it('takes the most common template', () => {
    expect(resolveChatTemplate('auto', [A, B, B])).toEqual({ template: B, from: 'auto' });
  });

  it('breaks ties toward the first seen, as Counter.most_common', () => {
    expect(chatTemplateFor('auto', [A, B])).toBe(A);
    expect(chatTemplateFor('auto', [B, A, A, B])).toBe(B);
    expect(chatTemplateFor('auto', [undefined, B, A])).toBe(B);
  });

  it('compares and returns templates stripped', () => {
    expect(chatTemplateFor('auto', [B, `\n${A}  `, `${A}\n`])).toBe(A);
  });

  it("counts a named set by its 'default' entry and skips models without a template", () => {
    const named = { default: `${B}\n`, tool_use: A };
    expect(chatTemplateFor('auto', [A, named, undefined, '', { tool_use: B }, B])).toBe(B);
  });

  it("leaves the donor's template when no model has one", () => {
    expect(resolveChatTemplate('auto', [undefined, '', { tool_use: A }])).toEqual({ from: 'auto' });
    expect(chatTemplateFor('auto', [])).toBeUndefined();
  });
});

it("strips as Python's str.strip()", () => {
  expect(pythonStrip('\x1c\x85\t x y \u3000\n')).toBe('x y');
  expect(pythonStrip('\ufeffx')).toBe('\ufeffx'); // not whitespace to Python
});

describe("reading a model's template", () => {
  it('prefers chat_template.jinja, as transformers does', () => {
    expect(
      readModelChatTemplate({ chatTemplateJinja: 'jinja', tokenizerConfig: '{"chat_template": "config"}' }),
    ).toBe('jinja');
  });

  it("reads tokenizer_config.json's string or list of named templates", () => {
    expect(readModelChatTemplate({ tokenizerConfig: '{"chat_template": "t"}' })).toBe('t');
    const list = JSON.stringify({
      chat_template: [
        { name: 'default', template: 'd' },
        { name: '__proto__', template: 'p' },
        { name: 'broken' },
      ],
    });
    const named = readModelChatTemplate({ tokenizerConfig: list });
    expect(named).toEqual({ default: 'd', ['__proto__']: 'p' });
    expect(Object.getPrototypeOf(named)).toBe(Object.prototype);
    expect(chatTemplateFor('auto', [named])).toBe('d');
  });

  it('returns undefined without a template and refuses a broken config', () => {
    expect(readModelChatTemplate({})).toBeUndefined();
    expect(readModelChatTemplate({ tokenizerConfig: '{"bos_token": "<s>"}' })).toBeUndefined();
    expect(() => readModelChatTemplate({ tokenizerConfig: '{' })).toThrow(ChatTemplateError);
    expect(() => readModelChatTemplate({ tokenizerConfig: '[]' })).toThrow(/not a JSON object/);
  });
});
