import { readFile } from 'node:fs/promises';
import { loadConfig, type Config } from '@voc/config';
import { DeviceRepository } from '@voc/db';
import { writeBrokerAuth } from '@voc/messaging';
import { mergeCredentialsFile } from '../devices/credentials-file.js';
import { deviceFileFormat, parseDeviceFile } from '../devices/device-file.js';
import { createProvisioning, type BrokerSyncResult, type Provisioning } from '@voc/core';
import { commandArgs as args } from './args.js';
import { withPool } from './context.js';
import { UsageError, type Command } from './types.js';
import { devicesHj212Command } from './hj212.js';

/** Composition for the device commands: pool → repository → provisioning; closes the pool after `fn`. */
async function withProvisioning<T>(fn: (p: Provisioning, cfg: Config) => Promise<T>): Promise<T> {
  return withPool('voc-devices', (pool, cfg) =>
    fn(
      createProvisioning({
        registry: new DeviceRepository(pool),
        broker: { write: (accounts) => writeBrokerAuth(cfg.mqtt.brokerDir, accounts) },
        gateway: { username: cfg.mqtt.gatewayUsername, password: cfg.mqtt.gatewayPassword },
      }),
      cfg,
    ),
  );
}

function brokerLine(b: BrokerSyncResult, dir: string): string {
  return `broker: ${b.deviceAccounts} device account(s) + gateway written to ${dir}${b.reloaded ? ', broker reloaded' : ' (no running broker found: it reads them when it starts)'}\n`;
}

/** `voc devices register <file.csv|file.json> [--credentials-out <path>] [--rotate]`. */
export const devicesRegisterCommand: Command = {
  name: 'devices register',
  summary: 'register devices from CSV or JSON and issue their MQTT credentials',
  usage: `voc devices register <file.csv|file.json> [--credentials-out <path>] [--rotate]

  Validates every row (all bad rows are listed with their line; nothing is registered if any is bad),
  registers or updates the devices, issues an MQTT password to each new device (every device of the
  file with --rotate), stores only its hash and rewrites the broker's password file and ACL.
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
    const cfg = loadConfig(process.env, { service: 'cli' });
    const parsed = parseDeviceFile(text, format, [cfg.mqtt.gatewayUsername]);
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
      process.stdout.write(brokerLine(r.broker, cfg.mqtt.brokerDir));
      return 0;
    });
  },
};

function statusCommand(status: 'active' | 'disabled'): Command {
  const verb = status === 'active' ? 'enable' : 'disable';
  return {
    name: `devices ${verb}`,
    summary: status === 'active' ? 'enable a device (it may connect again)' : 'disable a device (the broker refuses it from now on)',
    usage: `voc devices ${verb} <device-id>`,
    async run(argv) {
      const id = args(argv, {}, 1).positionals[0]!;
      return withProvisioning(async (p, cfg) => {
        const b = await p.setStatus(id, status);
        process.stdout.write(`device ${id}: ${status}\n${brokerLine(b, cfg.mqtt.brokerDir)}`);
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

/** `voc devices sync-broker`. */
export const devicesSyncBrokerCommand: Command = {
  name: 'devices sync-broker',
  summary: "rewrite the broker's password file and ACL from the registry",
  usage: `voc devices sync-broker

  Writes every active device with a credential, plus the gateway account, to the project broker's
  password file and ACL (VOC_MQTT_DIR) and makes the broker reload them.`,
  async run(argv) {
    args(argv, {});
    return withProvisioning(async (p, cfg) => {
      process.stdout.write(brokerLine(await p.syncBroker(), cfg.mqtt.brokerDir));
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
  devicesSyncBrokerCommand,
  devicesHj212Command,
];
