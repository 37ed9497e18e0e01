import { describe, expect, it } from '@jest/globals';
import { isConnectionLost, neverSent } from './connection-loss.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('connection loss', () => {
  it.each<[string, unknown]>([
    ['terminated by an administrator (57P01)', withCode('57P01', 'terminating connection due to administrator command')],
    ['server crash (57P02)', withCode('57P02')],
    ['connection failure (08006)', withCode('08006')],
    ['socket closed under the driver', new Error('Connection terminated unexpectedly')],
    ['a client already known broken', new Error('Client has encountered a connection error and is not queryable')],
    ['wrapped by TypeORM', Object.assign(new Error('query failed'), { driverError: withCode('57P01') })],
    ['as the cause', new Error('outer', { cause: withCode('ECONNRESET') })],
  ])('recognises %s', (_what, error) => {
    expect(isConnectionLost(error)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['a unique violation', withCode('23505', 'duplicate key value violates unique constraint')],
    ['a syntax error', withCode('42601')],
    ['a serialization failure', withCode('40001')],
    ['nothing', undefined],
  ])('does not take %s for a lost connection', (_what, error) => {
    expect(isConnectionLost(error)).toBe(false);
  });

  it('knows the statements the driver never sent', () => {
    expect(neverSent(Object.assign(new Error('Query runner already released'), { name: 'QueryRunnerAlreadyReleasedError' }))).toBe(true);
    expect(neverSent(new Error('Client has encountered a connection error and is not queryable'))).toBe(true);
    expect(neverSent(withCode('57P01', 'terminating connection due to administrator command'))).toBe(false);
  });
});
