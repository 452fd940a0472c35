/**
 * Merges streams that are each in time order into one stream in time order (k-way merge). Items with
 * equal `ts` keep the order of their streams in `streams`, so the output is deterministic.
 */
export async function* mergeByTime<T extends { readonly ts: Date }>(streams: readonly AsyncIterable<T>[]): AsyncGenerator<T> {
  const its = streams.map((s) => s[Symbol.asyncIterator]());
  const heads: (T | undefined)[] = await Promise.all(its.map(async (it) => (await it.next()).value as T | undefined));
  try {
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        const b = best >= 0 ? heads[best] : undefined;
        if (h !== undefined && (b === undefined || h.ts.getTime() < b.ts.getTime())) best = i;
      }
      if (best < 0) return;
      const it = its[best];
      const item = heads[best] as T;
      const next = it ? await it.next() : { done: true as const, value: undefined };
      heads[best] = next.done ? undefined : next.value;
      yield item;
    }
  } finally {
    await Promise.all(
      its.map(async (it) => {
        await it.return?.();
      }),
    );
  }
}
