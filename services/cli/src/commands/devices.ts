import { readFile } from 'node:fs/promises';
import { type Config } from '@voc/config';
import { DeviceRepository } from '@voc/db';
import { mergeCredentialsFile } from '../devices/credentials-file.js';
import { deviceFileFormat, parseDeviceFile } from '../devices/device-file.js';
import { createProvisioning, DEFAULT_ROTATION_GRACE_MS, type Provisioning } from '@voc/core';
import { commandArgs as args } from './args.js';
import { withPool } from './context.js';
import { UsageError, type Command } from './types.js';

/** Composition for the device commands: pool → repository → provisioning; closes the pool after `fn`. */
async function withProvisioning<T>(fn: (p: Provisioning, cfg: Config) => Promise<T>): Promise<T> {
  return withPool('voc-devices', (pool, cfg) => fn(createProvisioning({ registry: new DeviceRepository(pool) }), cfg));
}

/** What a device's connection settings are, for the operator (the gateway checks the password itself). */
const GATEWAY_NOTE = 'the gateway checks device passwords against the registry (changes apply within VOC_DEVICE_REFRESH_MS, default 2 s)\n';

/** `voc devices register <file.csv|file.json> [--credentials-out <path>] [--rotate]`. */
export const devicesRegisterCommand: Command = {
  name: 'devices register',
  summary: 'register devices from CSV or JSON and issue their MQTT credentials',
  usage: `voc devices register <file.csv|file.json> [--credentials-out <path>] [--rotate]

  Validates every row (all bad rows are listed with their line; nothing is registered if any is bad),
  registers or updates the devices, issues an MQTT password to each new device (every device of the
  file with --rotate: the old passwords stop working at once; see \`voc devices rotate\` for a grace
  period) and stores only its scrypt hash. Devices connect to the gateway with user name = device id.
  CSV columns: id,kind,name,sensor,lat,lon[,metadata (JSON object)]; JSON: [{...}] or {"devices":[...]}.

  --credentials-out <path>  merge the new credentials into this JSON file (mode 0600) instead of printing them
  --rotate                  issue new passwords to every device of the file`,
  async run(argv) {
    const { values, positionals } = args(argv, { 'credentials-out': { type: 'string' }, rotate: { type: 'boolean' } }, 1);
    const file = positionals[0]!;
    const format = deviceFileFormat(file);
    if (!format) throw new UsageError(`${file}: expected a .csv or .json file`);
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
    });
    const parsed = parseDeviceFile(text, format);
    if (!parsed.ok) {
      for (const e of parsed.errors) process.stderr.write(`${file}:${e.line}: ${e.message}\n`);
      process.stderr.write(`voc devices register: ${parsed.errors.length} bad row(s); nothing was registered\n`);
      return 2;
    }
    const out = values['credentials-out'] as string | undefined;
    return withProvisioning(async (p) => {
      const r = await p.register(parsed.devices, {
        rotate: values.rotate === true,
        deliver: out ? async (issued) => void (await mergeCredentialsFile(out, issued)) : undefined,
      });
      process.stdout.write(
        `devices: ${r.created.length} created, ${r.updated.length} updated; credentials issued to ${Object.keys(r.issued).length}\n`,
      );
      if (Object.keys(r.issued).length) {
        if (out) process.stdout.write(`credentials written to ${out} (mode 0600)\n`);
        else process.stdout.write(`new credentials (shown once, only their hashes are stored):\n${JSON.stringify(r.issued, null, 2)}\n`);
      }
      process.stdout.write(GATEWAY_NOTE);
      return 0;
    });
  },
};

function statusCommand(status: 'active' | 'disabled'): Command {
  const verb = status === 'active' ? 'enable' : 'disable';
  return {
    name: `devices ${verb}`,
    summary:
      status === 'active'
        ? 'enable a device (it may connect again)'
        : 'disable a device (the gateway closes its connections within seconds and refuses it from then on)',
    usage: `voc devices ${verb} <device-id>`,
    async run(argv) {
      const id = args(argv, {}, 1).positionals[0]!;
      return withProvisioning(async (p) => {
        await p.setStatus(id, status);
        process.stdout.write(`device ${id}: ${status}\n${GATEWAY_NOTE}`);
        return 0;
      });
    },
  };
}

/** `voc devices disable <id>`. */
export const devicesDisableCommand = statusCommand('disabled');
/** `voc devices enable <id>`. */
export const devicesEnableCommand = statusCommand('active');

/** `voc devices list`. */
export const devicesListCommand: Command = {
  name: 'devices list',
  summary: 'list registered devices (id, kind, status, position)',
  usage: 'voc devices list',
  async run(argv) {
    args(argv, {});
    return withProvisioning(async (p) => {
      const rows = (await p.list()).map((d) => [
        d.id,
        d.kind,
        d.status,
        d.lat !== null && d.lon !== null ? `${d.lat.toFixed(5)}, ${d.lon.toFixed(5)}` : 'GPS per reading',
      ]);
      const head = ['id', 'kind', 'status', 'position (lat, lon WGS-84)'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const fmt = (r: string[]) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd() + '\n';
      process.stdout.write(fmt(head) + fmt(widths.map((w) => '-'.repeat(w))) + rows.map(fmt).join(''));
      process.stdout.write(`${rows.length} device(s)\n`);
      return 0;
    });
  },
};

/** Parses a grace period such as `90s`, `30m`, `12h` or `7d`; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** `voc devices rotate <id> [--grace 7d] [--end]`. */
export const devicesRotateCommand: Command = {
  name: 'devices rotate',
  summary: 'issue a new password; the old one keeps working for a grace period (--end ends it)',
  usage: `voc devices rotate <device-id> [--grace <duration>] [--credentials-out <path>]
voc devices rotate <device-id> --end

  Issues a new password and prints it once (or merges it into --credentials-out, mode 0600); only its
  scrypt hash is stored. During the grace period (default ${DEFAULT_ROTATION_GRACE_MS / 86_400_000}d; e.g. 90s, 30m, 12h, 7d) the gateway
  accepts the old and the new password, so the device can be reconfigured without downtime. Rotating
  again keeps only the latest previous password.

  --end  ends the grace period now: only the newest password works (live connections stay up;
         \`voc devices disable\` closes them).`,
  async run(argv) {
    const { values, positionals } = args(
      argv,
      { grace: { type: 'string' }, end: { type: 'boolean' }, 'credentials-out': { type: 'string' } },
      1,
    );
    const id = positionals[0]!;
    if (values.end === true) {
      if (values.grace !== undefined) throw new UsageError('--end and --grace exclude each other');
      return withProvisioning(async (p) => {
        await p.endRotation(id);
        process.stdout.write(`device ${id}: rotation ended, only the newest password works\n${GATEWAY_NOTE}`);
        return 0;
      });
    }
    const graceMs = values.grace === undefined ? DEFAULT_ROTATION_GRACE_MS : parseDuration(values.grace as string);
    if (graceMs === undefined) throw new UsageError(`--grace ${String(values.grace)}: expected a duration such as 90s, 30m, 12h or 7d`);
    const out = values['credentials-out'] as string | undefined;
    return withProvisioning(async (p) => {
      const r = await p.rotate(id, { graceMs });
      if (out) {
        await mergeCredentialsFile(out, { [id]: r.credential });
        process.stdout.write(`new credentials of ${id} written to ${out} (mode 0600)\n`);
      } else
        process.stdout.write(
          `new credentials (shown once, only their hash is stored):\n${JSON.stringify({ [id]: r.credential }, null, 2)}\n`,
        );
      process.stdout.write(
        `the previous password of ${id} keeps working until ${r.graceUntil.toISOString()} (end it sooner: voc devices rotate ${id} --end)\n${GATEWAY_NOTE}`,
      );
      return 0;
    });
  },
};

/** Every `voc devices` command. */
export const DEVICE_COMMANDS: readonly Command[] = [
  devicesRegisterCommand,
  devicesDisableCommand,
  devicesEnableCommand,
  devicesListCommand,
  devicesRotateCommand,
];
