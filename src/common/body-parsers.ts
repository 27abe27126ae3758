import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { parse as parseQueryString } from 'fast-querystring';
import type { FastifyRequest } from 'fastify';
import { DomainError } from './domain-error.js';

/** Every Gatehouse body is flat; 32 leaves room for any client's envelope and nothing more. */
export const MAX_JSON_DEPTH = 32;
/** JSON bodies (API.md): 413 payload_too_large beyond this. */
export const JSON_BODY_LIMIT_BYTES = 100 * 1024;
/** Form bodies exist only on the RFC endpoints, whose few fields fit in a fraction of this. */
export const FORM_BODY_LIMIT_BYTES = 16 * 1024;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** With the u flag a surrogate pair is one code point: only a lone surrogate is in category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * True when a JSON text nests arrays/objects deeper than `limit`. One linear scan over the
 * bytes, no recursion, stopping at the first level too deep: it runs before JSON.parse so a
 * hostile body costs what a flat one does, and nothing downstream (class-transformer and
 * class-validator recurse) ever sees deep input (issue 8 #1). Brackets inside strings are
 * data; a malformed text is left for JSON.parse to refuse.
 */
export function exceedsJsonDepth(body: Buffer | string, limit = MAX_JSON_DEPTH): boolean {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/**
 * The path of the first string (key or value) that is not well-formed UTF-16, i.e. holds a lone
 * surrogate (`"\ud800"` in JSON, which a database driver cannot encode). Iterative, and only ever
 * given depth-checked bodies.
 */
export function findIllFormedString(value: unknown, root = 'body'): string | undefined {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      if (LONE_SURROGATE.test(current)) return path;
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current)) {
        const childPath = path === root ? key : `${path}.${key}`;
        if (LONE_SURROGATE.test(key)) return childPath;
        stack.push([child, childPath]);
      }
    }
  }
  return undefined;
}

function refuseIllFormed(parsed: unknown): void {
  const field = findIllFormedString(parsed);
  if (field !== undefined) {
    throw new DomainError('validation_failed', 'The request is invalid.', {
      details: [{ field, message: `${field} must be valid Unicode text (it contains a lone surrogate)` }],
    });
  }
}

type Done = (error: Error | null, body?: unknown) => void;

/**
 * Registers Gatehouse's own JSON and form parsers in place of Nest's defaults: size-capped,
 * depth-checked before parsing, prototype-poisoning refused (as Fastify's own parser does),
 * lone surrogates refused, every refusal a validation_failed in API.md's shape.
 */
export function registerBodyParsers(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', { bodyLimit: JSON_BODY_LIMIT_BYTES }, (request: FastifyRequest, body: Buffer, done: Done) => {
    if (exceedsJsonDepth(body)) {
      done(
        new DomainError('validation_failed', `The request body is nested deeper than ${MAX_JSON_DEPTH} levels.`, {
          details: [{ field: 'body', message: `JSON may nest at most ${MAX_JSON_DEPTH} arrays/objects deep` }],
        }),
      );
      return;
    }
    void parseJson(request, body.toString('utf8'), (error: Error | null, parsed?: unknown) => {
      if (error) return done(error);
      try {
        refuseIllFormed(parsed);
      } catch (refusal) {
        return done(refusal as Error);
      }
      done(null, parsed);
    });
  });
  app.useBodyParser('application/x-www-form-urlencoded', { bodyLimit: FORM_BODY_LIMIT_BYTES }, (_request: FastifyRequest, body: Buffer, done: Done) => {
    // fast-querystring never nests (`a[b]=c` is one key): form bodies are flat by construction.
    const parsed = parseQueryString(body.toString('utf8')) as Record<string, unknown>;
    if (Object.hasOwn(parsed, '__proto__')) {
      done(new DomainError('validation_failed', 'The request body contains a forbidden "__proto__" field.'));
      return;
    }
    try {
      refuseIllFormed(parsed);
    } catch (refusal) {
      return done(refusal as Error);
    }
    done(null, { ...parsed });
  });
}
