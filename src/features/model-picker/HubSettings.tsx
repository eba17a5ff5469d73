/**
 * Which hub models come from (the demo hub, the Hugging Face Hub or another URL), and the token,
 * with the origin it goes to named beside it (choosing a hub elsewhere clears it).
 */
import { useId, useState } from 'react';
import { DEMO_HUB_URL, HF_HUB_URL, hubOrigin } from '../../stores/sources-slice.ts';
import { useStudio } from '../../stores/store.ts';
import { HubLinkNotice } from './HubLinkNotice.tsx';

export type HubPreset = 'demo' | 'hf' | 'custom';

/**
 * What the Hub select shows: "Other hub URL…" once the user chose it, even while the URL is
 * still the demo's or the Hub's (the URL field then starts from it); else what the URL is.
 */
export function hubPreset(hubUrl: string, customChosen: boolean): HubPreset {
  if (customChosen) return 'custom';
  return hubUrl === DEMO_HUB_URL ? 'demo' : hubUrl === HF_HUB_URL ? 'hf' : 'custom';
}

export function HubSettings() {
  const id = useId();
  const hubUrl = useStudio((s) => s.hubUrl);
  const token = useStudio((s) => s.token);
  const setHubUrl = useStudio((s) => s.setHubUrl);
  const setToken = useStudio((s) => s.setToken);
  const [customChosen, setCustomChosen] = useState(false);
  const preset = hubPreset(hubUrl, customChosen);
  return (
    <fieldset className="hub-settings">
      <legend>Model source</legend>
      <HubLinkNotice />
      <label htmlFor={`${id}-hub`}>Hub</label>
      <select
        id={`${id}-hub`}
        value={preset}
        onChange={(e) => {
          const chosen = e.target.value as HubPreset;
          setCustomChosen(chosen === 'custom');
          if (chosen !== 'custom') setHubUrl(chosen === 'demo' ? DEMO_HUB_URL : HF_HUB_URL);
        }}
      >
        <option value="demo">Demo models (local hub)</option>
        <option value="hf">Hugging Face Hub</option>
        <option value="custom">Other hub URL…</option>
      </select>
      {preset === 'custom' && (
        <>
          <label htmlFor={`${id}-url`}>Hub URL</label>
          <input
            id={`${id}-url`}
            type="url"
            value={hubUrl}
            aria-describedby={`${id}-url-hint`}
            onChange={(e) => {
              // Stay on "Other hub URL…" while typing, even through the demo's or the Hub's URL.
              setCustomChosen(true);
              setHubUrl(e.target.value);
            }}
          />
          <p className="field-hint" id={`${id}-url-hint`}>
            For example a hub started with <code>merge-studio serve</code> on another port or machine.
          </p>
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
