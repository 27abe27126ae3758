/**
 * The one spelling of an issuer identifier (RFC 8414 2: an http(s) URL without query or
 * fragment). Trailing slashes go, so `https://auth.example.com/` and `https://auth.example.com`
 * name the same issuer and `iss` matches the metadata `issuer` byte for byte.
 */
export function normalizeIssuer(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError('must be an http(s) URL, e.g. https://auth.example.com');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('must be an http(s) URL');
  if (url.search || url.hash || raw.includes('?') || raw.includes('#')) throw new TypeError('must not have a query or fragment');
  if (url.username || url.password) throw new TypeError('must not carry credentials');
  // URL lower-cases scheme and host and drops a default port; the path stays as written.
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
