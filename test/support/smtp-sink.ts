import { createServer, type Server, type Socket } from 'node:net';

export interface ReceivedMail {
  from: string;
  to: string[];
  data: string;
}

/**
 * A minimal SMTP server on a loopback port that accepts every message and
 * keeps it, so tests exercise the real SMTP client end to end.
 */
export class SmtpSink {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly mails: ReceivedMail[],
    private readonly counts: { refused: number },
  ) {}

  /** How many recipients were refused (550) so far: each is one delivery attempt. */
  get refused(): number {
    return this.counts.refused;
  }

  /**
   * On `port` when given (a server coming back up at its address), else on a
   * free one; with `refuseRecipients`, every RCPT gets a permanent 550 (a bounce).
   */
  static async start(port = 0, options: { refuseRecipients?: boolean } = {}): Promise<SmtpSink> {
    const mails: ReceivedMail[] = [];
    const counts = { refused: 0 };
    const server = createServer((socket) => SmtpSink.serve(socket, mails, counts, options.refuseRecipients ?? false));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return new SmtpSink(server, (server.address() as { port: number }).port, mails, counts);
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private static serve(socket: Socket, mails: ReceivedMail[], counts: { refused: number }, refuseRecipients: boolean): void {
    let buffer = '';
    let current: ReceivedMail = { from: '', to: [], data: '' };
    let inData = false;
    socket.write('220 sink ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let index: number;
      while ((index = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            mails.push(current);
            current = { from: '', to: [], data: '' };
            socket.write('250 OK queued\r\n');
          } else {
            current.data += `${line.startsWith('..') ? line.slice(1) : line}\n`;
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-sink\r\n250 8BITMIME\r\n');
        else if (verb === 'HELO') socket.write('250 sink\r\n');
        else if (verb === 'MAIL') {
          current.from = line.slice(10).trim();
          socket.write('250 OK\r\n');
        } else if (verb === 'RCPT' && refuseRecipients) {
          counts.refused += 1;
          socket.write('550 5.1.1 mailbox unavailable\r\n');
        } else if (verb === 'RCPT') {
          current.to.push(line.slice(8).trim());
          socket.write('250 OK\r\n');
        } else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') {
          socket.end('221 bye\r\n');
        } else socket.write('250 OK\r\n');
      }
    });
    socket.on('error', () => socket.destroy());
  }
}
