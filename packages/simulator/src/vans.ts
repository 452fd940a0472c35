import type { StreetGrid } from './district.js';
import type { LatLon, XY } from './geo.js';
import type { Rng } from './prng.js';

/** A van's state at one second of a survey shift. */
export interface VanFix extends LatLon {
  readonly time: number;
  /** km/h, ≥ 0. */
  readonly speedKmh: number;
  /** Degrees clockwise from north; null while standing. */
  readonly headingDeg: number | null;
}

/** How vans drive (ours). Speeds are surveying speeds, DOMAIN.md §2 (≤ 30 km/h when surveying). */
export interface VanDriving {
  /** Cruise speed per street segment, uniform in [min, max] km/h (default 12–28). */
  readonly minKmh: number;
  readonly maxKmh: number;
  /** Share of segments driven faster than surveying allows, 35–45 km/h (default 0.05): the grid must drop those readings. */
  readonly fastShare: number;
  /** Stop at a crossing, uniform 0–this many seconds (default 30). */
  readonly maxStopS: number;
}

/** Defaults of {@link VanDriving}. */
export const DEFAULT_VAN_DRIVING: VanDriving = Object.freeze({ minKmh: 12, maxKmh: 28, fastShare: 0.05, maxStopS: 30 });

/**
 * Drives one van along the street grid second by second: from a crossing it takes a random adjacent
 * street (not straight back unless it is a dead end), cruises at a constant speed, stops a moment at the
 * next crossing, and so on. Call {@link VanRoute.fixAt} with increasing times, one second apart, within
 * a shift; `restart` places the van at a new random crossing (start of a shift).
 */
export class VanRoute {
  private node = 0;
  private prevNode = -1;
  private target = 0;
  private pos: XY = { x: 0, y: 0 };
  private speedMs = 0;
  private stopLeft = 0;

  constructor(
    private readonly grid: StreetGrid,
    private readonly rng: Rng,
    private readonly driving: VanDriving = DEFAULT_VAN_DRIVING,
  ) {
    this.restart();
  }

  /** Places the van at a random crossing with a new destination. */
  restart(): void {
    this.node = this.rng.int(this.grid.nodes.length);
    this.prevNode = -1;
    this.pos = this.grid.nodes[this.node]!;
    this.chooseNext();
  }

  private chooseNext(): void {
    const adj = this.grid.adjacency[this.node]!;
    const options = adj.length > 1 ? adj.filter((n) => n !== this.prevNode) : adj;
    this.target = options.length ? this.rng.pick(options) : this.node;
    const d = this.driving;
    const kmh = this.rng.chance(d.fastShare) ? this.rng.uniform(35, 45) : this.rng.uniform(d.minKmh, d.maxKmh);
    this.speedMs = kmh / 3.6;
  }

  /** Advances one second and returns the fix at `time`. */
  fixAt(time: number): VanFix {
    if (this.stopLeft > 0) {
      this.stopLeft -= 1;
      return { ...this.grid.projection.toLatLon(this.pos), time, speedKmh: 0, headingDeg: null };
    }
    const goal = this.grid.nodes[this.target]!;
    const dx = goal.x - this.pos.x;
    const dy = goal.y - this.pos.y;
    const dist = Math.hypot(dx, dy);
    const heading = ((Math.atan2(dx, dy) * 180) / Math.PI + 360) % 360;
    const speedKmh = this.speedMs * 3.6;
    if (dist <= this.speedMs) {
      this.pos = goal;
      this.prevNode = this.node;
      this.node = this.target;
      this.stopLeft = this.rng.int(this.driving.maxStopS + 1);
      this.chooseNext();
    } else {
      this.pos = { x: this.pos.x + (dx / dist) * this.speedMs, y: this.pos.y + (dy / dist) * this.speedMs };
    }
    return { ...this.grid.projection.toLatLon(this.pos), time, speedKmh, headingDeg: dist > 0 ? heading : null };
  }
}
