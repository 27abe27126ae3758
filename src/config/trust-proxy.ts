import proxyAddr from 'proxy-addr';
import { z } from 'zod';

/**
 * Which hops' X-Forwarded-For entries are believed, in Fastify's `trustProxy` terms: `false`
 * (only the socket), a hop count, or the proxies' addresses/CIDRs (also proxy-addr's names
 * `loopback`, `linklocal`, `uniquelocal`). `true` believes every hop, so any client names its
 * own address: parsed here, refused in production by parseConfig.
 */
export type TrustProxy = boolean | number | string[];

export const trustProxySchema = z
  .string()
  .trim()
  .default('false')
  .transform((raw, ctx): TrustProxy => {
    const value = raw.toLowerCase();
    if (value === '' || value === 'false') return false;
    if (value === 'true') return true;
    if (/^\d+$/.test(value)) {
      const hops = Number(value);
      if (hops < 1 || hops > 16) {
        ctx.addIssue({ code: 'custom', message: 'a hop count must be 1 to 16 (or false)' });
        return z.NEVER;
      }
      return hops;
    }
    const proxies = raw.split(',').map((part) => part.trim()).filter(Boolean);
    try {
      proxyAddr.compile(proxies); // the same parser Fastify uses: what passes here is what runs
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `expected false, a hop count, or proxy addresses/CIDRs: ${(error as Error).message}` });
      return z.NEVER;
    }
    return proxies;
  });

export const TRUST_PROXY_TRUE_REFUSED =
  'TRUST_PROXY: true is refused in production: it believes every X-Forwarded-For hop, so any client ' +
  'can choose its own IP for rate limits, sessions and the audit log. Name your proxies instead ' +
  '(a hop count such as 1, or their addresses/CIDRs such as 10.0.0.0/8), or false without a proxy.';

/**
 * The value handed to Fastify. A hop count becomes "the n nearest hops are proxies" (hop 0 is
 * the socket peer), as in Express: Fastify 5.12 treats a bare number as "trust nothing", which
 * would silently record every client as the load balancer. A hop count is only safe when
 * Gatehouse cannot be reached except through those proxies; name them when it can (README).
 */
export function toFastifyTrustProxy(value: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof value === 'number') return (_address, hop) => hop < value;
  return value;
}
