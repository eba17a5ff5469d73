/**
 * "Browser storage" in the header: the models and adapters jobs saved in this browser (without
 * a folder picker), their sizes and the quota, each downloadable as one archive and deletable
 * (after a second click: deleting cannot be undone). Read when opened, and again after a
 * delete. Output names come from the user: text only.
 */
import { useState } from 'react';
import { deleteStoredOutput, listStoredOutputs, type StoredOutput } from '../../engine/browser-storage.ts';
import { downloadArchive } from '../../engine/save-target.ts';
import { formatBytes } from '../../shared/format.ts';

interface Listing {
  readonly outputs: readonly StoredOutput[];
  readonly usage?: number;
  readonly quota?: number;
}

async function readListing(): Promise<Listing> {
  const [outputs, estimate] = await Promise.all([
    listStoredOutputs(),
    navigator.storage?.estimate?.().catch(() => undefined),
  ]);
  return { outputs, ...estimate };
}

export function StorageMenu() {
  const [listing, setListing] = useState<Listing | undefined>();
  const [confirming, setConfirming] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const refresh = (): void => {
    void readListing().then(setListing, (e: unknown) =>
      setError(`Cannot read browser storage: ${String(e)}`),
    );
  };
  const remove = (name: string): void => {
    setConfirming(undefined);
    setError(undefined);
    void deleteStoredOutput(name).then(refresh, (e: unknown) =>
      setError(e instanceof Error ? e.message : String(e)),
    );
  };
  return (
    <details className="storage-menu" onToggle={(e) => e.currentTarget.open && refresh()}>
      <summary>Browser storage</summary>
      <div className="storage-list" role="region" aria-label="Browser storage">
        {listing?.quota !== undefined && (
          <p className="muted">
            {formatBytes(listing.usage ?? 0)} used of the {formatBytes(listing.quota)} this browser allows.
          </p>
        )}
        {error && <p role="alert">{error}</p>}
        {listing && listing.outputs.length === 0 && (
          <p className="muted">
            Nothing saved here: jobs save here only where the browser has no folder picker.
          </p>
        )}
        {listing && listing.outputs.length > 0 && (
          <ul aria-label="Saved in this browser">
            {listing.outputs.map((o) => (
              <li key={o.name}>
                <strong>{o.name}</strong> {formatBytes(o.bytes)}
                {!o.complete && (
                  <span className="muted"> (unfinished: run the job again to resume it)</span>
                )}{' '}
                {o.complete && o.files.length > 0 && (
                  <button
                    type="button"
                    onClick={() => downloadArchive(o.name, o.files)}
                    aria-label={`Download ${o.name} as ${o.name}.tar`}
                  >
                    Download .tar
                  </button>
                )}{' '}
                {confirming === o.name ? (
                  <>
                    <button type="button" onClick={() => remove(o.name)}>
                      Delete {o.name} for good
                    </button>{' '}
                    <button type="button" onClick={() => setConfirming(undefined)}>
                      Keep it
                    </button>
                  </>
                ) : (
                  <button type="button" onClick={() => setConfirming(o.name)} aria-label={`Delete ${o.name}`}>
                    Delete
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
    </details>
  );
}
