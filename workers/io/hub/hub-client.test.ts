/** The hub client's token checks: they fail at once, before any request, and never echo the token. */
import { describe, expect, it } from 'vitest';
import { SourceError } from '../source.ts';
import { createHubClient } from './hub-client.ts';
import { recordingFetch } from './test-helpers.ts';

const TOKEN = 'hf_secretsecretsecret';

function refusal(hubUrl: string, token: string): SourceError {
  const rec = recordingFetch(() => new Response('[]'));
  try {
    createHubClient({ hubUrl, token, fetch: rec.fetch });
  } catch (e) {
    expect(rec.requests).toEqual([]);
    expect(e).toBeInstanceOf(SourceError);
    return e as SourceError;
  }
  throw new Error(`no error for ${hubUrl}`);
}

describe('createHubClient token checks', () => {
  it.each([
    ['an ellipsis', `${TOKEN}…`],
    ['a zero-width space', `hf_secret\u200bsecret`],
    ['an accented letter', `hf_secret\u00e9secret`],
    ['a control character', `hf_secret\u0007secret`],
  ])('refuses a token with %s at once, asking to copy it again', (_what, token) => {
    const e = refusal('https://huggingface.co', token);
    expect(e.message).toMatch(/copy it again from your Hub settings/);
    expect(e.message).not.toContain('secret');
  });

  it.each(['http://huggingface.co', 'http://192.168.1.20:5174', 'http://hub.example/base'])(
    'refuses to send a token over plain http to %s',
    (hubUrl) => {
      const e = refusal(hubUrl, TOKEN);
      expect(e.message).toContain(`unencrypted to ${new URL(hubUrl).origin}`);
      expect(e.message).not.toContain(TOKEN);
    },
  );

  it.each(['http://127.0.0.1:5174', 'http://localhost:5174', 'http://[::1]:5174', 'https://hub.example'])(
    'accepts a token for %s',
    (hubUrl) => {
      expect(createHubClient({ hubUrl, token: TOKEN }).hasToken).toBe(true);
    },
  );

  it('accepts plain http to any host without a token', () => {
    expect(createHubClient({ hubUrl: 'http://hub.example' }).hasToken).toBe(false);
  });
});
