/**
 * A hub named by a shared link that is not one of ours nor on this machine: the link's recipe
 * loads, but its hub is used only once the user says so, since a token given afterwards goes
 * to that hub.
 */
import { useStudio } from '../../stores/store.ts';

export function HubLinkNotice() {
  const pending = useStudio((s) => s.pendingHubUrl);
  const hubUrl = useStudio((s) => s.hubUrl);
  const confirm = useStudio((s) => s.confirmHubUrl);
  const dismiss = useStudio((s) => s.dismissHubUrl);
  if (pending === undefined) return null;
  return (
    <div className="notice" role="region" aria-label="Hub from the link">
      <p>
        This link reads its models from <strong>{pending}</strong>, which is not the Hugging Face Hub. Use it
        only if you trust it: a token you give then goes to that hub.
      </p>
      <p>
        <button type="button" onClick={confirm}>
          Use {pending}
        </button>{' '}
        <button type="button" onClick={dismiss}>
          Keep {hubUrl}
        </button>
      </p>
    </div>
  );
}
