/** Shared by the unit tests: how a failed assertion reads, a TLS scan that finds nothing wrong, the can-fail marker. */
import type { TestOptions } from 'node:test';
import type { TlsFindings } from '../checks/security.ts';

/**
 * Declares the checklist items a unit test turns red: the test gives the check that decides them in their spec a bad
 * input and asserts the problem that names the cause – `test('…', canFail('PRE-TLS-3'), () => …)`. prove/can-fail.ts
 * reads the IDs from the source (as the specs' verifies() is read) into checklist/can-fail.yaml; to node:test it is
 * no option at all.
 */
export function canFail(..._ids: string[]): TestOptions {
  return {};
}

/** The message of the error `f` throws – a failed assertion's, as the release manager reads it. Throws when `f` passes. */
export function failureOf(f: () => void): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the assertion passed');
}

/** A TLS scan of a deployment that does everything right (grade A); tests change one finding at a time. */
export const GOOD_TLS: TlsFindings = {
  protocols: { TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': true, 'TLSv1.3': true },
  weakCiphersAccepted: [],
  certTrusted: true,
  chainComplete: true,
  nameMatches: true,
  daysLeft: 396,
  hsts: 'max-age=63072000',
};
