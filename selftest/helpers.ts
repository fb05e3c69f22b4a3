/** Shared by the unit tests: how a failed assertion reads, and a TLS scan that finds nothing wrong. */
import type { TlsFindings } from '../checks/security.ts';

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
