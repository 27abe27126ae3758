import type { AuthClient } from '../../client/src/gatehouse-client.js';
import type { UiFeature } from '../../src/ui/ui-routes.js';
import type { Api } from './api.js';

/** What every page gets: the client, JSON calls, navigation, its route's parameters. */
export interface PageContext {
  client: AuthClient;
  api: Api;
  navigate: (path: string, options?: { replace?: boolean }) => void;
  /** Shows a message above the page (kept across one navigation). */
  notice: (message: string, kind?: 'info' | 'error') => void;
  params: Record<string, string>;
  query: URLSearchParams;
  has: (feature: UiFeature) => boolean;
}

export type Page = (view: HTMLElement, context: PageContext) => void | Promise<void>;
