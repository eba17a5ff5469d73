/**
 * Which hub models come from (the demo hub, the Hugging Face Hub or another URL), and the token,
 * with the origin it goes to named beside it (choosing a hub elsewhere clears it).
 */
import { useId } from 'react';
import { DEMO_HUB_URL, HF_HUB_URL, hubOrigin } from '../../stores/sources-slice.ts';
import { useStudio } from '../../stores/store.ts';
import { HubLinkNotice } from './HubLinkNotice.tsx';

export function HubSettings() {
  const id = useId();
  const hubUrl = useStudio((s) => s.hubUrl);
  const token = useStudio((s) => s.token);
  const setHubUrl = useStudio((s) => s.setHubUrl);
  const setToken = useStudio((s) => s.setToken);
  const preset = hubUrl === DEMO_HUB_URL ? 'demo' : hubUrl === HF_HUB_URL ? 'hf' : 'custom';
  return (
    <fieldset className="hub-settings">
      <legend>Model source</legend>
      <HubLinkNotice />
      <label htmlFor={`${id}-hub`}>Hub</label>
      <select
        id={`${id}-hub`}
        value={preset}
        onChange={(e) =>
          e.target.value !== 'custom' && setHubUrl(e.target.value === 'demo' ? DEMO_HUB_URL : HF_HUB_URL)
        }
      >
        <option value="demo">Demo models (local hub)</option>
        <option value="hf">Hugging Face Hub</option>
        <option value="custom">Other hub URL…</option>
      </select>
      {preset === 'custom' && (
        <>
          <label htmlFor={`${id}-url`}>Hub URL</label>
          <input id={`${id}-url`} type="url" value={hubUrl} onChange={(e) => setHubUrl(e.target.value)} />
        </>
      )}
      <label htmlFor={`${id}-token`}>Access token (gated or private models)</label>
      <input
        id={`${id}-token`}
        type="password"
        autoComplete="off"
        placeholder="hf_…"
        value={token}
        onChange={(e) => setToken(e.target.value.trim())}
      />
      <p className="field-hint">
        The token stays in this tab’s memory and is sent only to <strong>{hubOrigin(hubUrl)}</strong>;
        choosing a hub elsewhere clears it.
      </p>
    </fieldset>
  );
}
