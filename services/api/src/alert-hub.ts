import type { LoggedAlert } from '@voc/core';

/** In-process fan-out of live alerts to the connected SSE clients. */
export interface AlertHub {
  /** @returns the unsubscribe function */
  subscribe(fn: (a: LoggedAlert) => void): () => void;
  publish(a: LoggedAlert): void;
  readonly size: number;
}

/** A plain {@link AlertHub}: a listener that throws is dropped, never the others. */
export function createAlertHub(): AlertHub {
  const subs = new Set<(a: LoggedAlert) => void>();
  return {
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
    publish(a) {
      for (const fn of subs) {
        try {
          fn(a);
        } catch {
          subs.delete(fn);
        }
      }
    },
    get size() {
      return subs.size;
    },
  };
}
