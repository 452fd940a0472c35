/**
 * A SIMULATED scenario's outcome in words, for the demo: each planted source found or missed next to its
 * truth, false tasks, sensor faults, and the tasks the teams would get (enforcement tasks with their
 * confidence and ranked candidates; check-sensor tasks for the network operators).
 */
import type { Pool } from '@voc/db';
import { bigintToH3 } from '@voc/db';
import type { GroundTruth, ScoreReport } from '@voc/simulator';

const iso = (t: number): string => new Date(t).toISOString().slice(0, 16).replace('T', ' ');

interface TaskRow {
  id: string;
  metric: string;
  cell: string;
  opened: Date;
  office: string | null;
  statistics: { excess?: number | null; uncertainty?: number | null; confidence?: number | null; unit?: string };
  candidates: { facilityId: string; category: string; distanceM: number; score: number; explanation?: string }[];
}

/** The scenario's score and the tasks it produced, as printable lines. */
export async function scenarioReport(pool: Pool, truth: GroundTruth, report: ScoreReport): Promise<string> {
  const L: string[] = [];
  L.push(`SIMULATED scenario "${truth.scenario}" (seed ${truth.seed}, ${iso(truth.from)} – ${iso(truth.to)} UTC): ${truth.description}`);
  L.push(`  ${truth.label}`);
  L.push('  truth vs system:');
  for (const s of report.sources) {
    const t = truth.sources.find((x) => x.id === s.sourceId)!;
    const on = t.onPeriods[0];
    const what = `${s.category} ${s.facilityId} (${t.metrics.join('/')}, on from ${on ? iso(on.start) : '-'})`;
    if (s.found)
      L.push(
        `    FOUND   ${what}: hotspot ${s.hotspotId} after ${Math.round(s.timeToDetectMin ?? 0)} min, rank-1 candidate ${s.localisationM ?? '-'} m from it, ${s.inTop3 ? 'in' : 'not in'} the top 3${s.detectable ? '' : ' (below 3 sigma at the nearest sensor)'}`,
      );
    else L.push(`    MISSED  ${what}${s.detectable ? '' : ': below 3 sigma at the nearest sensor (not detectable)'}`);
  }
  L.push(
    `    FALSE   ${report.falseTasks} of ${report.enforcementTasks} enforcement tasks explained by no source (${report.falseTasksPer100CellsPerWeek.toFixed(2)} per 100 cells per week)`,
  );
  if (truth.faultySensors.length)
    L.push(
      `    FAULTS  ${truth.faultySensors.length} faulty sensors (${truth.faultySensors.join(', ')}): ${Math.round((report.faultsRaisedAsFaults ?? 0) * 100)} % raised as check-sensor tasks, ${report.faultsRaisedAsSources} taken for sources`,
    );
  const range = [new Date(truth.from), new Date(truth.to)];
  const tasks = await pool.query<TaskRow>(
    `select id::text as id, metric, cell::text as cell, opened_window as opened, street_office_name as office, statistics, candidates
     from tasks where opened_window >= $1 and opened_window < $2 order by opened_window, id`,
    range,
  );
  L.push(`  enforcement tasks the teams would get (${tasks.rows.length}):`);
  for (const t of tasks.rows) {
    const st = t.statistics;
    L.push(
      `    task ${t.id} ${t.metric} cell ${bigintToH3(t.cell)} window ${iso(t.opened.getTime())} ${t.office ?? 'outside the jurisdiction map'}: excess ${st.excess ?? '-'} ${st.unit ?? ''} (uncertainty ${st.uncertainty ?? '-'}), confidence ${st.confidence ?? '-'}`,
    );
    for (const [i, c] of t.candidates.slice(0, 3).entries())
      L.push(`      ${i + 1}. ${c.facilityId} score ${c.score}: ${c.explanation ?? `${c.category} ${c.distanceM} m`}`);
  }
  const checks = await pool.query<{ id: string; device_id: string; metric: string; opened: Date; reason: string }>(
    `select id::text as id, device_id, metric, opened_window as opened, reason from sensor_checks
     where opened_window >= $1 and opened_window < $2 order by opened_window, id`,
    range,
  );
  L.push(`  check-sensor tasks for the network operators (${checks.rows.length}):`);
  for (const c of checks.rows)
    L.push(`    check ${c.id} ${c.device_id} ${c.metric} from ${iso(c.opened.getTime())}: ${c.reason.replace(/_/g, ' ')}`);
  return `${L.join('\n')}\n`;
}
