import { createServer, type Socket } from 'node:net';

/**
 * What a recording listener does with a connection: stay silent (a database port, a tarpit), speak
 * like a broken SSH server, or speak FTP with replies that must never reach a customer.
 */
export type ListenerBehaviour = 'silent' | 'ssh-garbage' | 'ftp-chatty';

export interface RecordingListener {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** Text the chatty FTP listener puts in its replies: a test asserts it never reaches the customer. */
export const CHATTY_SECRET = 'PostgreSQL-16.2-interne-10.0.3.7';

function behave(socket: Socket, behaviour: ListenerBehaviour): void {
  socket.on('error', () => undefined);
  if (behaviour === 'ssh-garbage') {
    // A valid identification line, then a packet whose length field is absurd: "Bad packet length".
    socket.write('SSH-2.0-OpenSSH_9.6\r\n');
    socket.once('data', () => socket.write(Buffer.alloc(64, 0xff)));
  } else if (behaviour === 'ftp-chatty') {
    socket.write(`220 ${CHATTY_SECRET} ready\r\n`);
    socket.on('data', (data) => {
      const command = data.toString('latin1').split(' ')[0]?.trim().toUpperCase();
      if (command === 'USER') socket.write(`331 ${CHATTY_SECRET} password please\r\n`);
      else if (command === 'PASS') socket.write(`530 ${CHATTY_SECRET}: login refused\r\n`);
      else socket.write(`500 ${CHATTY_SECRET}: unknown command\r\n`);
    });
  }
}

/** A TCP listener on 127.0.0.1 that counts the connections it accepts. */
export function startRecordingListener(behaviour: ListenerBehaviour = 'silent'): Promise<RecordingListener> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    behave(socket, behaviour);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : 0,
        get connections() {
          return connections;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
