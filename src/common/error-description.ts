import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_CAUSES = 4;

/**
 * The one line the error filter logs for an unexpected error: name, message and code of the
 * error and of its causes, and where it passed through Gatehouse's own code. Never the stack
 * (no stack traces in logs, STYLE.md): one frame, the first outside dependencies and the
 * database plumbing (whose frames every query shares), names the call that failed, e.g.
 * `Error: Cannot use a pool after calling end on the pool (at LoginLockoutsRepository.reset dist/users/login-lockouts.repository.js:41)`.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `non-error thrown: ${String(error)}`;
  const chain = [summary(error)];
  for (let cause = error.cause, depth = 0; cause instanceof Error && depth < MAX_CAUSES; cause = cause.cause, depth++) {
    chain.push(summary(cause));
  }
  const where = firstOwnFrame(error.stack);
  return `${chain.join(' <- caused by ')}${where ? ` (at ${where})` : ''}`;
}

function summary(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' || typeof code === 'number' ? ` [${code}]` : ''}: ${error.message}`;
}

/** `at fn (file:line:column)` or `at file:line:column`, the file maybe a file: URL. */
const FRAME = /^\s*at (?:(.+?) \()?((?:file:\/\/)?\/[^()]+?):(\d+):\d+\)?$/;

/** "function file:line" of the first frame in Gatehouse's own code, relative to the working directory. */
export function firstOwnFrame(stack: string | undefined): string | undefined {
  for (const line of stack?.split('\n').slice(1) ?? []) {
    const match = FRAME.exec(line);
    if (!match) continue;
    const file = match[2].startsWith('file://') ? fileURLToPath(match[2]) : match[2];
    if (/[\\/](node_modules|generated|database)[\\/]/.test(file)) continue;
    const fn = match[1]?.replace(/^async /, '');
    return `${fn ? `${fn} ` : ''}${path.relative(process.cwd(), file)}:${match[3]}`;
  }
  return undefined;
}
