/**
 * The instance's wall clock. Everything that stamps or ages revocation state on this instance
 * reads it here, so a test can run one instance whose clock is skewed against the others
 * (DESIGN.md: "Revocation times come from the database clock, never an instance's").
 */
export class Clock {
  constructor(private readonly offsetMs = 0) {}

  /** ms since epoch, as this instance sees it. */
  now(): number {
    return Date.now() + this.offsetMs;
  }
}
