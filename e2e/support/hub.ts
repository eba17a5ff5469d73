/** A local hub serving the tinymix fixtures for a test, with optional fault injection. */
import path from 'node:path';
import { startHubServer, type HubServer, type HubServerOptions } from '../../server/hub-server.ts';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const TINYMIX = path.join(REPO, 'test-data/tinymix');

export function startTestHub(options: Partial<HubServerOptions> = {}): Promise<HubServer> {
  return startHubServer({ root: TINYMIX, port: 0, ...options });
}
