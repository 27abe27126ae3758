/**
 * Tabs of one app (same origin, same Gatehouse) share one session. One tab, the leader (the
 * holder of a Web Lock, handed to the next tab when it closes), is the only one that refreshes;
 * the others ask it over a BroadcastChannel and receive every new access token it gets. Asking
 * the leader (rather than racing for a lock and then guessing whether the token that came in
 * meanwhile is fresh) keeps it to exactly one refresh per expiry: the leader's state is the truth.
 * Without Web Locks every tab leads itself; the server's reuse grace window absorbs the races.
 */
export interface Tabs<M> {
  /** Resolves once it is known whether this tab leads. */
  readonly ready: Promise<void>;
  leads(): boolean;
  post(message: M): void;
  /** Runs `task` while no other tab of this app runs one (a second guard around refreshes). */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  close(): void;
}

export function joinTabs<M>(name: string, onMessage: (message: M) => void, onLead: () => void): Tabs<M> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  const channel = typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel(name) : undefined;
  const stop = new AbortController();
  let leading = !locks;
  let release: (() => void) | undefined;
  channel?.addEventListener('message', (event: MessageEvent<M>) => onMessage(event.data));

  const ready = new Promise<void>((resolve) => {
    if (!locks) return resolve();
    const lead = () => {
      leading = true;
      resolve();
      onLead();
      // Held until the tab closes (or close() is called): then the next tab in line leads.
      return new Promise<void>((done) => (release = done));
    };
    const leaderLock = `${name}:leader`;
    locks
      .request(leaderLock, { ifAvailable: true }, (lock) => {
        if (lock) return lead();
        resolve();
        locks.request(leaderLock, { signal: stop.signal }, lead).catch(() => undefined);
        return undefined;
      })
      .catch(() => resolve());
  });

  return {
    ready,
    leads: () => leading,
    post: (message) => channel?.postMessage(message),
    exclusive: (task) => (locks ? locks.request(`${name}:refresh`, task) : task()),
    close() {
      stop.abort();
      release?.();
      leading = false;
      channel?.close();
    },
  };
}
