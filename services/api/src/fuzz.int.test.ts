import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { API_ROLES, type ApiRole } from '@voc/core';
import { harness, type Harness } from './testing/harness.js';

// Every route fuzzed from its own OpenAPI (zod-generated) parameter schemas: values that follow the
// schema, values that break it, and hostile strings, as the admin (who may call everything). The
// answer is a 2xx or a problem+json 4xx, never a 5xx. Runs per route: VOC_API_FUZZ_RUNS (default 25).
const RUNS = Number(process.env.VOC_API_FUZZ_RUNS ?? 25);

interface Param {
  name: string;
  in: 'query' | 'path' | 'header';
  required?: boolean;
  schema: { type?: string; enum?: string[]; pattern?: string; minimum?: number; maximum?: number; format?: string };
}
interface Op {
  parameters?: Param[];
  requestBody?: { content: Record<string, { schema: unknown }> };
}

const hostile = fc.constantFrom(
  "' or 1=1 --",
  '../../etc/passwd',
  '%00',
  '\u0000',
  'NaN',
  '-1',
  '1e308',
  '',
  ' ',
  '🙂',
  'null',
  '[]',
  '{}',
  'x'.repeat(600),
);

/** Values for one parameter from its JSON schema, plus hostile ones. */
function valueOf(s: Param['schema']): fc.Arbitrary<string> {
  const fromSchema: fc.Arbitrary<string>[] = [];
  if (s.enum) fromSchema.push(fc.constantFrom(...s.enum));
  if (s.format === 'date-time')
    fromSchema.push(fc.date({ min: new Date('2026-01-01'), max: new Date('2027-01-01'), noInvalidDate: true }).map((d) => d.toISOString()));
  if (s.type === 'number' || s.type === 'integer')
    fromSchema.push(fc.integer({ min: Math.max(-1e6, s.minimum ?? -1e6), max: Math.min(1e6, s.maximum ?? 1e6) }).map(String));
  if (s.pattern) fromSchema.push(fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length < 200));
  fromSchema.push(fc.string({ maxLength: 40 }));
  return fc.oneof(...fromSchema, hostile);
}

/** JSON Schema (as the OpenAPI document has it) → values that follow it, with hostile strings mixed in. */
interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
}
function arbOf(s: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  if (s.anyOf?.length) return fc.oneof(...s.anyOf.map((x) => arbOf(x, depth + 1)));
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  if (t === 'object' && s.properties && depth < 3) {
    const props = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, arbOf(v, depth + 1)]));
    return fc.record(props, { requiredKeys: (s.required ?? []).filter((k) => k in props) });
  }
  if (t === 'array' && s.items) return fc.array(arbOf(s.items, depth + 1), { maxLength: 3 });
  if (t === 'integer' || t === 'number')
    return fc.integer({ min: Math.max(-1e6, s.minimum ?? -1e6), max: Math.min(1e6, s.maximum ?? 1e6) });
  if (t === 'boolean') return fc.boolean();
  if (t === 'null') return fc.constant(null);
  return fc.oneof(fc.string({ maxLength: 40 }), hostile);
}

/** A body from the request schema, or arbitrary JSON. */
function bodyOf(op: Op): fc.Arbitrary<unknown> {
  const schema = op.requestBody?.content['application/json']?.schema as JsonSchema | undefined;
  const json = fc.jsonValue({ maxDepth: 2 });
  return schema ? fc.oneof({ arbitrary: arbOf(schema), weight: 4 }, { arbitrary: json, weight: 1 }) : json;
}

let h: Harness;
let admin = '';
beforeAll(async () => {
  h = await harness();
  admin = await h.key('admin' satisfies ApiRole);
  expect(API_ROLES).toContain('admin');
});
const STARTED = new Date();
afterAll(async () => {
  // Devices the fuzzed POST /v1/devices managed to register (integration test files run one at a time).
  await h.admin.query(`delete from devices where created_at >= $1`, [STARTED]);
  await h.close();
});

describe('every route fuzzed from its schema', () => {
  it('answers 2xx or a problem+json 4xx, never a 5xx', async () => {
    const doc = (await h.app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, Op>> }>();
    let calls = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (path.startsWith('/docs') || path === '/v1/alerts/stream') continue; // the stream never ends; tested in stream.int.test.ts
      for (const [method, op] of Object.entries(ops)) {
        const params = op.parameters ?? [];
        if (process.env.VOC_API_FUZZ_TRACE) process.stderr.write(`fuzz ${method} ${path}\n`);
        const arb = fc.record({
          values: fc.tuple(...params.map((p) => fc.option(valueOf(p.schema), { nil: undefined, freq: p.required ? 10 : 2 }))),
          body: bodyOf(op),
        });
        await fc.assert(
          fc.asyncProperty(arb, async ({ values, body }) => {
            let url = path;
            const qs = new URLSearchParams();
            const headers: Record<string, string> = { 'x-api-key': admin };
            params.forEach((p, i) => {
              const v = values[i];
              if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(v ?? 'x'));
              else if (v !== undefined && p.in === 'query') qs.set(p.name, v);
              else if (v !== undefined && p.in === 'header' && /^[\t\x20-\x7e]*$/.test(v)) headers[p.name] = v;
            });
            const res = await h.app.inject({
              method: method.toUpperCase() as 'GET',
              url: `${url}${qs.size ? `?${qs.toString()}` : ''}`,
              headers,
              ...(method === 'get' || method === 'delete' ? {} : { payload: body as object }),
            });
            calls++;
            expect(res.statusCode, `${method} ${url}?${qs.toString()}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
            if (res.statusCode >= 400) expect(res.headers['content-type']).toContain('application/problem+json');
          }),
          { numRuns: RUNS },
        );
      }
    }
    expect(calls).toBeGreaterThan(20 * RUNS);
  });
});
