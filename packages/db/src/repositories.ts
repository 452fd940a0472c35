import { AlertOutboxRepository } from './alert-outbox.js';
import { ApiKeyRepository } from './api-keys.js';
import { AlertLogRepository, HotspotQueryRepository, WebhookRepository } from './enforcement.js';
import { SeriesRepository } from './series.js';
import { DeadLetterRepository } from './deadletters.js';
import { SensorCheckRepository } from './sensor-checks.js';
import { DeviceRepository } from './devices.js';
import { EvaluationRepository } from './evaluation.js';
import { FacilityRepository } from './facilities.js';
import { HotspotReportRepository } from './hotspot-report.js';
import { JurisdictionRepository } from './jurisdictions.js';
import type { Pool } from './pool.js';
import { ReadingRepository } from './readings.js';
import { StreetOfficeReportRepository } from './reports.js';
import type { RollupOptions } from './rollup.js';
import { BackfillSourceRepository, ScheduleRepository } from './schedule.js';
import { TaskRepository } from './tasks.js';
import { Hj212DeviceRepository } from './hj212-devices.js';
import { ComplianceRepository } from './compliance.js';

/** Every repository of the database, one per aggregate, on one pool (what a composition root hands to `@voc/core`). */
export interface Repositories {
  readonly devices: DeviceRepository;
  readonly readings: ReadingRepository;
  readonly deadLetters: DeadLetterRepository;
  /** Check-sensor operations tasks (read side). */
  readonly sensorChecks: SensorCheckRepository;
  /** Hotspot evaluations, cell stats and states, hotspots and evidence (one transaction per window). */
  readonly evaluations: EvaluationRepository;
  readonly hotspotReport: HotspotReportRepository;
  readonly schedule: ScheduleRepository;
  readonly backfillSource: BackfillSourceRepository;
  /** Tasks and task events. */
  readonly tasks: TaskRepository;
  readonly facilities: FacilityRepository;
  readonly jurisdictions: JurisdictionRepository;
  readonly alertOutbox: AlertOutboxRepository;
  /** HJ 212 data loggers (MN, PW hash, profile, compliance settings). */
  readonly hj212Devices: Hj212DeviceRepository;
  /** Fume compliance: windows, states, events, tasks; list/filter, history, street-office rates for the API. */
  readonly compliance: ComplianceRepository;
  /** Readings and cell statistics for the analysts' routes. */
  readonly series: SeriesRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly hotspots: HotspotQueryRepository;
  readonly alertLog: AlertLogRepository;
  readonly webhooks: WebhookRepository;
  /** Street-office reports. */
  readonly reports: StreetOfficeReportRepository;
}

/**
 * Builds every repository on `pool` (the pool stays the caller's to close).
 * @param opts.rollup connections and `work_mem` of the hotspot rollup (`config.hotspot.rollupConnections`, `workMem`)
 */
export function createRepositories(pool: Pool, opts: { rollup?: RollupOptions } = {}): Repositories {
  return {
    devices: new DeviceRepository(pool),
    readings: new ReadingRepository(pool),
    deadLetters: new DeadLetterRepository(pool),
    sensorChecks: new SensorCheckRepository(pool),
    evaluations: new EvaluationRepository(pool, opts.rollup),
    hotspotReport: new HotspotReportRepository(pool),
    schedule: new ScheduleRepository(pool),
    backfillSource: new BackfillSourceRepository(pool),
    tasks: new TaskRepository(pool),
    facilities: new FacilityRepository(pool),
    jurisdictions: new JurisdictionRepository(pool),
    alertOutbox: new AlertOutboxRepository(pool),
    hj212Devices: new Hj212DeviceRepository(pool),
    compliance: new ComplianceRepository(pool),
    series: new SeriesRepository(pool),
    apiKeys: new ApiKeyRepository(pool),
    hotspots: new HotspotQueryRepository(pool),
    alertLog: new AlertLogRepository(pool),
    webhooks: new WebhookRepository(pool),
    reports: new StreetOfficeReportRepository(pool),
  };
}
