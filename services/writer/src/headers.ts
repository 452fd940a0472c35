/** Kafka header values as kafkajs delivers them. */
export type RecordHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** First value of a header as UTF-8 text; `undefined` when the header is absent. */
export function headerText(headers: RecordHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  const one = Array.isArray(v) ? v[0] : v;
  if (one === undefined) return undefined;
  return typeof one === 'string' ? one : one.toString('utf8');
}
