import { describe, expect, it } from '@jest/globals';
import { DatabaseLogger, describeFailure } from './database-logger.js';

describe('DatabaseLogger', () => {
  it('never throws on what the driver rejects with, whatever its shape', () => {
    const logger = new DatabaseLogger();
    for (const failure of [new Error('boom'), 'invalid input syntax for type uuid: "x"', { message: 'Connection terminated' }, {}, undefined, null, 42]) {
      expect(() => logger.logQueryError(failure)).not.toThrow();
    }
  });

  it('masks values quoted in a failure given as text or as an error-like object', () => {
    expect(describeFailure('invalid input syntax for type uuid: "jean@example.fr"')).not.toContain('jean@example.fr');
    const described = describeFailure({ name: 'error', message: 'Key (email)=(jean@example.fr) already exists' });
    expect(JSON.stringify(described)).not.toContain('jean@example.fr');
    expect(describeFailure({})).toBe('object');
  });
});
