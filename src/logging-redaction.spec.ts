import { describe, expect, it } from '@jest/globals';
import { redactError, redactLogArguments, scrubText } from './logging-redaction.js';

describe('log redaction of values', () => {
  it.each([
    ['invalid input syntax for type uuid: "marie@exemple.fr"', 'invalid input syntax for type uuid: "[masqué]"'],
    ['invalid input value for enum demarche: "secret"', 'invalid input value for enum demarche: "[masqué]"'],
    ['value "99999999999" is out of range for type integer', 'value "[masqué]" is out of range for type integer'],
    ['Key (email)=(marie@exemple.fr) already exists.', 'Key (email)=([masqué]) already exists.'],
    ['Failing row contains (1, Marie, 10.0.0.1).', 'Failing row contains ([masqué]).'],
    [`Unexpected token 'o', "{"email":"marie@"... is not valid JSON`, `Unexpected token 'o', "[masqué]" is not valid JSON`],
    // Identifiers say what failed: they stay.
    ['duplicate key value violates unique constraint "aidants_email_key"', 'duplicate key value violates unique constraint "aidants_email_key"'],
    ['relation "sign_in_throttles" does not exist', 'relation "sign_in_throttles" does not exist'],
    ['invalid byte sequence for encoding "UTF8": 0x00', 'invalid byte sequence for encoding "UTF8": 0x00'],
  ])('scrubs %s', (text, expected) => {
    expect(scrubText(text)).toBe(expected);
  });

  it('keeps the facts of an error and drops its values, causes included', () => {
    const driver = Object.assign(new Error('invalid input syntax for type uuid: "jean@exemple.fr"'), {
      code: '22P02', severity: 'ERROR', detail: 'Jean', where: 'Jean', routine: 'string_to_uuid',
    });
    const failed = Object.assign(new Error(driver.message), { query: "SELECT $1::uuid, 'jean'", parameters: ['jean@exemple.fr'], driverError: driver, code: '22P02', severity: 'ERROR' });
    const wrapped = new Error('lookup failed', { cause: failed });
    const shown = JSON.stringify(redactLogArguments([{ err: wrapped }, 'failed']));
    expect(shown).not.toContain('jean');
    expect(shown).not.toContain('Jean');
    expect(redactError(failed)).toMatchObject({ sqlState: '22P02', query: "SELECT $1::uuid, '[masqué]'", parameters: '[masqué] (1)' });
  });
});
