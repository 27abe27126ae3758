/** Who did something, from where: taken from the request at the edge. */
export interface RequestContext {
  ip?: string;
  userAgent?: string;
}
