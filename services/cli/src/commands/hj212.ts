import { Hj212DeviceRepository } from '@voc/db';
import { Hj212RegistrationError, registerHj212Device } from '@voc/core';
import { commandArgs as args } from './args.js';
import { withPool } from './context.js';
import { UsageError, type Command } from './types.js';

function num(name: string, v: string | boolean | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name}: "${String(v)}" is not a number`);
  return n;
}

/** `voc devices hj212 <deviceId> --mn … --pw … [--profile …] …`: registers a device's HJ 212 data logger. */
export const devicesHj212Command: Command = {
  name: 'devices hj212',
  summary: 'register the HJ 212 data logger of a device (MN, PW, factor profile, compliance settings)',
  usage: `voc devices hj212 <device-id> --mn <MN> --pw <PW> [--profile <id>] [--tolerances a,b] [--max-data-length n]
                 [--facility <id>] [--standard "DB11/1488-2018"|"GB 18483-2001"] [--hours HH:MM-HH:MM[,...]] [--rated-current <A>]

  The device must already be registered (voc devices register; kind fume, dust or fixed). Stores the
  logger's MN and a salted scrypt hash of its PW (HJ 212 sends PW in clear in every frame; the
  registry never keeps it), its factor-code profile and codec tolerances, the restaurant or
  construction site it belongs to and, for fume monitors, the compliance settings.

  --profile          hj212-fume (default for fume), vendor-conc-fume, hj212-dust (default for dust), hj212-air-quality
  --tolerances       lowercase_crc, datatime_ms, crc_modbus, crc_modbus_swapped, missing_crlf, length_mismatch, unknown_command
  --max-data-length  largest data segment accepted from this logger (default 1024, the standard's limit)
  --facility         facility id (voc facilities import): the restaurant or construction site
  --standard         emission limits of the compliance rules (default DB11/1488-2018, Beijing)
  --hours            declared opening hours, China Standard Time; 17:00-02:00 runs across midnight
  --rated-current    the purifier's rated current in amperes (enables the purifier-current rule)`,
  async run(argv) {
    const { values, positionals } = args(
      argv,
      {
        mn: { type: 'string' },
        pw: { type: 'string' },
        profile: { type: 'string' },
        tolerances: { type: 'string' },
        'max-data-length': { type: 'string' },
        facility: { type: 'string' },
        standard: { type: 'string' },
        hours: { type: 'string' },
        'rated-current': { type: 'string' },
      },
      1,
    );
    if (typeof values.mn !== 'string' || typeof values.pw !== 'string') throw new UsageError('--mn and --pw are required');
    const str = (k: string) => (typeof values[k] === 'string' ? values[k] : undefined);
    return withPool('voc-devices', async (pool) => {
      try {
        const s = await registerHj212Device(new Hj212DeviceRepository(pool), {
          deviceId: positionals[0]!,
          mn: values.mn as string,
          pw: values.pw as string,
          ...(str('profile') ? { profile: str('profile') } : {}),
          ...(str('tolerances')
            ? {
                tolerances: str('tolerances')!
                  .split(',')
                  .map((t) => t.trim())
                  .filter(Boolean),
              }
            : {}),
          ...(str('max-data-length') ? { maxDataLength: num('max-data-length', values['max-data-length']) } : {}),
          ...(str('facility') ? { facilityId: str('facility') } : {}),
          ...(str('standard') ? { limitStandard: str('standard') } : {}),
          ...(str('hours') ? { openingHours: str('hours') } : {}),
          ...(str('rated-current') ? { purifierRatedCurrentA: num('rated-current', values['rated-current']) } : {}),
        });
        process.stdout.write(
          `device ${s.deviceId}: HJ 212 logger MN=${s.mn} profile=${s.profile} tolerances=${s.tolerances.join(',') || 'none'} ` +
            `standard=${s.limitStandard}${s.openingHours ? ` hours=${s.openingHours}` : ''}${s.facilityId ? ` facility=${s.facilityId}` : ''} (PW stored as a scrypt hash)\n`,
        );
        return 0;
      } catch (err) {
        if (!(err instanceof Hj212RegistrationError)) throw err;
        for (const p of err.problems) process.stderr.write(`voc devices hj212: ${p}\n`);
        return 2;
      }
    });
  },
};
