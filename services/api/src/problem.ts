import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ERRORS, httpStatusOf, VocError, type Logger } from '@voc/domain';

/** Base of every problem `type` URI: the catalogue key follows (stable, documented in the README). */
export const PROBLEM_BASE = 'https://voc-monitor.dev/problems/';

/** RFC 9457 problem details as this API sends them (`application/problem+json`). */
export const problemSchema = z
  .object({
    type: z.string().describe('Stable URI of the problem kind: PROBLEM_BASE + catalogue key, e.g. .../invalid_request'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().describe('What was wrong, naming the offending parameter'),
    instance: z.string().describe('The request path'),
    code: z.string().describe('Error code of the catalogue (VOC_ERR_*)'),
  })
  .meta({ id: 'Problem' });
/** A problem document. */
export type Problem = z.infer<typeof problemSchema>;

const TITLES: Record<string, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const KEY_OF_CODE = new Map<string, string>(Object.entries(ERRORS).map(([k, v]) => [v.code, k]));

/** The problem document of a catalogue code. */
export function problemOf(code: string, detail: string, instance: string): Problem {
  const status = httpStatusOf(code);
  const key = KEY_OF_CODE.get(code) ?? code.replace(/^VOC_ERR_/, '').toLowerCase();
  return { type: PROBLEM_BASE + key, title: TITLES[status] ?? 'Error', status, detail, instance, code };
}

/** Sends a problem document. */
export function sendProblem(reply: FastifyReply, p: Problem, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(p.status).headers(headers).type('application/problem+json').send(JSON.stringify(p));
}

const path = (req: FastifyRequest) => req.url.split('?')[0] ?? req.url;

/** Fastify's own error codes mapped to the catalogue. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ERRORS.body_too_large.code,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ERRORS.unsupported_media_type.code,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ERRORS.invalid_request.code,
  FST_ERR_CTP_EMPTY_JSON_BODY: ERRORS.invalid_request.code,
  FST_ERR_CTP_INVALID_JSON_BODY: ERRORS.invalid_request.code,
  FST_ERR_VALIDATION: ERRORS.invalid_request.code,
};

/**
 * Errors Fastify raises before routing (a malformed URL, a too long path parameter), in the same
 * problem+json shape: the `frameworkErrors` option of the Fastify factory.
 */
export function frameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const code = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? ERRORS.uri_too_long.code : ERRORS.invalid_request.code;
  const detail =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'path: a path parameter is longer than 100 characters' : 'path: the URL is malformed';
  void sendProblem(reply, problemOf(code, detail, path(req)));
}

/**
 * The one mapping of errors to HTTP (STYLE.md §9): a {@link VocError} by its catalogue status; a
 * schema validation error as 400 naming the parameter (`query.limit: ...`); Fastify's body errors by
 * their meaning; a statement timeout as 503; anything else logged with `{ err }` and answered with a
 * generic 500 that leaks nothing.
 */
export function installErrorHandler(app: FastifyInstance, log: Logger, isTimeout: (err: unknown) => boolean): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof VocError) return sendProblem(reply, problemOf(err.code, err.message, path(req)));
    if (hasZodFastifySchemaValidationErrors(err)) {
      const contexts: Record<string, string> = { querystring: 'query', params: 'path', body: 'body', headers: 'header' };
      const where = contexts[err.validationContext ?? ''] ?? 'request';
      const detail = err.validation
        .map((v) => `${where}${v.instancePath ? `.${v.instancePath.slice(1).replaceAll('/', '.')}` : ''}: ${v.message ?? 'is invalid'}`)
        .join('; ');
      return sendProblem(reply, problemOf(ERRORS.invalid_request.code, detail, path(req)));
    }
    if (isTimeout(err))
      return sendProblem(
        reply,
        problemOf(ERRORS.query_timeout.code, 'the query ran past the statement timeout; ask for a smaller range', path(req)),
        {
          'retry-after': '5',
        },
      );
    const sqlstate = (err as { code?: unknown }).code;
    if (typeof sqlstate === 'string' && /^22[0-9A-Z]{3}$/.test(sqlstate)) {
      // A data exception (class 22) is caused by a request value the schema let through; say so, never 500.
      log.warn({ err, url: req.url }, 'request value refused by the database');
      return sendProblem(
        reply,
        problemOf(ERRORS.invalid_request.code, `a request value is outside what the database accepts (SQLSTATE ${sqlstate})`, path(req)),
      );
    }
    const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (mapped) return sendProblem(reply, problemOf(mapped, err.message, path(req)));
    if (isResponseSerializationError(err)) log.error({ err, issues: err.cause.issues, url: req.url }, 'response does not match its schema');
    else log.error({ err, url: req.url, method: req.method }, 'request failed');
    return sendProblem(reply, problemOf(ERRORS.internal.code, 'internal error; it has been logged', path(req)));
  });
}
