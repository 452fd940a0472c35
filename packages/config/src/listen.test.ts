import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { listenErrorMessage, listenOn } from './listen.js';

const servers: Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

describe('listenOn', () => {
  it('listens, and names the setting when the port is taken', async () => {
    const first = createServer();
    servers.push(first);
    await listenOn(first, 0, '127.0.0.1', 'VOC_X_PORT');
    const port = (first.address() as AddressInfo).port;
    const second = createServer();
    servers.push(second);
    await expect(listenOn(second, port, '127.0.0.1', 'VOC_X_PORT')).rejects.toThrow(
      `127.0.0.1:${port} (VOC_X_PORT) is already in use by another process; stop it or set VOC_X_PORT to a free port`,
    );
  });

  it('explains only port errors', () => {
    expect(
      listenErrorMessage(Object.assign(new Error('x'), { code: 'EACCES', address: '0.0.0.0', port: 80 }), { 80: 'VOC_API_PORT' }),
    ).toBe('0.0.0.0:80 (VOC_API_PORT) may not be opened by this user; choose a port above 1023');
    expect(listenErrorMessage(new Error('other'), {})).toBeUndefined();
  });
});
