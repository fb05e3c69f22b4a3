// Mutating endpoints: the API key header (X-API-Key, or API_KEY_HEADER) equal to API_SECRET_KEY, or a Bearer JWT
// (HS256, JWT_SECRET, exp required).
import { timingSafeEqual, createHash } from 'node:crypto';
import { jwtVerify } from 'jose';
import { ApiError } from './errors.js';

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export function makeAuth(apiKey: string, jwtSecret: string, keyHeader = 'X-API-Key') {
  const key = new TextEncoder().encode(jwtSecret);
  return async function authorize(headers: Record<string, string | string[] | undefined>): Promise<void> {
    const given = headers[keyHeader.toLowerCase()];
    if (typeof given === 'string' && given !== '') {
      if (sameSecret(given, apiKey)) return;
      throw new ApiError(401, `invalid API key: send the ${keyHeader} from .env.production (API_SECRET_KEY) or a valid Bearer token`);
    }
    const authz = headers['authorization'];
    if (typeof authz === 'string' && /^bearer\s+/i.test(authz)) {
      const token = authz.replace(/^bearer\s+/i, '').trim();
      try {
        await jwtVerify(token, key, { algorithms: ['HS256'], requiredClaims: ['exp'] });
        return;
      } catch (e: any) {
        const why = e?.code === 'ERR_JWT_EXPIRED' ? 'expired' : e?.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' ? 'missing the exp claim' : 'invalid';
        throw new ApiError(401, `bearer token ${why}: sign an HS256 JWT with JWT_SECRET and an exp claim, or send ${keyHeader}`);
      }
    }
    throw new ApiError(401, `authentication required: send ${keyHeader} (API_SECRET_KEY) or Authorization: Bearer <HS256 JWT signed with JWT_SECRET>`);
  };
}
