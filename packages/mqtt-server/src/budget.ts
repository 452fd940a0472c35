/**
 * The global in-flight budget shared by every connection: the packet bytes of publishes handed to the
 * handler and not yet settled. Above `highWaterBytes` every connection stops reading its socket; once
 * the total falls to `lowWaterBytes` they resume. Memory held for unsettled publishes is therefore at
 * most `highWaterBytes` plus one packet per connection (a packet already read when the mark is crossed).
 */
export class InflightBudget {
  private bytesNow = 0;
  private countNow = 0;
  private pausedNow = false;
  private readonly listeners = new Set<() => void>();

  /**
   * @param highWaterBytes total in-flight bytes at which reading stops
   * @param lowWaterBytes total at which reading resumes (≤ high water)
   */
  constructor(
    readonly highWaterBytes: number,
    readonly lowWaterBytes: number,
  ) {
    if (lowWaterBytes > highWaterBytes) throw new RangeError('lowWaterBytes must not exceed highWaterBytes');
  }

  /** Packet bytes of the publishes in flight now. */
  get bytes(): number {
    return this.bytesNow;
  }
  /** Publishes in flight now. */
  get count(): number {
    return this.countNow;
  }
  /** True while reading is stopped by this budget. */
  get paused(): boolean {
    return this.pausedNow;
  }

  /** Counts a publish handed to the handler. */
  take(bytes: number): void {
    this.bytesNow += bytes;
    this.countNow++;
    if (!this.pausedNow && this.bytesNow >= this.highWaterBytes) this.pausedNow = true;
  }

  /** Releases a settled publish; resumes readers when the total fell to the low-water mark. */
  give(bytes: number): void {
    this.bytesNow -= bytes;
    this.countNow--;
    if (this.pausedNow && this.bytesNow <= this.lowWaterBytes) {
      this.pausedNow = false;
      for (const l of [...this.listeners]) l();
    }
  }

  /** Calls `onResume` each time reading may resume; returns the unsubscribe function. */
  onResume(onResume: () => void): () => void {
    this.listeners.add(onResume);
    return () => this.listeners.delete(onResume);
  }
}
