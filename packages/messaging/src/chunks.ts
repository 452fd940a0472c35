/** Weight-bounded chunking of records: the gateway's Kafka sends (by bytes) and the writer's inserts (by rows). */

/**
 * Splits items into consecutive chunks whose total weight stays at most `max` (an item heavier than
 * `max` forms a chunk of its own).
 */
export function chunkByWeight<T>(items: readonly T[], weight: (item: T) => number, max: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let sum = 0;
  for (const item of items) {
    const w = weight(item);
    if (current.length > 0 && sum + w > max) {
      chunks.push(current);
      current = [];
      sum = 0;
    }
    current.push(item);
    sum += w;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
