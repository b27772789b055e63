// JSON Web Tokens for the emulators: the GitHub emulator signs Actions OIDC tokens with
// it, the authentik emulator verifies federated JWTs against a source's JWKS the way
// PyJWT (which authentik uses) does, and signs the access tokens it issues.
//
// Verification follows PyJWT 2.10.1 (authentik 2025.10) / 2.11.0 (2025.12 to 2026.5),
// `jwt.decode(token, key, algorithms=[alg], options={"verify_aud": False})`:
//   * the header's `alg` must be one of `algorithms` (InvalidAlgorithmError) and fit the key;
//   * the signature (InvalidSignatureError "Signature verification failed");
//   * `exp` must be an integer and later than now (ExpiredSignatureError "Signature has expired");
//   * `nbf` must be an integer and not later than now (ImmatureSignatureError "The token is not yet valid (nbf)");
//   * `iat` must be an integer and not later than now (ImmatureSignatureError "The token is not yet valid (iat)");
//   * `sub` and `jti`, when present, must be strings; the audience is not checked; no leeway.
// The messages are PyJWT's; authentik only logs them (every failure is `invalid_grant`).
import { createHash, createHmac, createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject, randomBytes, sign, timingSafeEqual, verify } from "node:crypto";

export type JwtHeader = { alg?: unknown; kid?: unknown; typ?: unknown; [k: string]: unknown };
export type JwtClaims = Record<string, unknown>;

export const b64url = (data: Buffer | string): string => Buffer.from(data).toString("base64url");

function jsonPart(part: string): Record<string, unknown> {
  const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("not a JSON object");
  return value as Record<string, unknown>;
}

/** PyJWT's `decode_complete(..., options={"verify_signature": False})`: header and payload, or why not. */
export function decodeUnverified(token: string): { header: JwtHeader; payload: JwtClaims; signingInput: string; signature: Buffer } {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("Not enough segments");
  let header: JwtHeader;
  let payload: JwtClaims;
  try {
    header = jsonPart(parts[0]!);
  } catch {
    throw new Error("Invalid header padding");
  }
  try {
    payload = jsonPart(parts[1]!);
  } catch {
    throw new Error("Invalid payload string: must be a json object");
  }
  return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2]!, "base64url") };
}

const HASHES: Record<string, string> = { "256": "sha256", "384": "sha384", "512": "sha512" };

/** Signs `claims` (RS*, PS*, ES*, EdDSA with a private key; HS* with a secret). */
export function signJwt(claims: JwtClaims, key: KeyObject | string, alg: string, header: Record<string, unknown> = {}): string {
  const head = b64url(JSON.stringify({ alg, typ: "JWT", ...header }));
  const body = b64url(JSON.stringify(claims));
  const input = `${head}.${body}`;
  const bits = alg.slice(2);
  let signature: Buffer;
  if (alg.startsWith("HS")) signature = createHmac(HASHES[bits]!, typeof key === "string" ? key : key.export()).update(input).digest();
  else {
    const k = typeof key === "string" ? createPrivateKey(key) : key;
    if (alg.startsWith("RS")) signature = sign(HASHES[bits]!, Buffer.from(input), k);
    else if (alg.startsWith("PS")) signature = sign(HASHES[bits]!, Buffer.from(input), { key: k, padding: 6, saltLength: Number(bits) / 8 });
    else if (alg.startsWith("ES")) signature = sign(HASHES[bits === "512" ? "512" : bits]!, Buffer.from(input), { key: k, dsaEncoding: "ieee-p1363" });
    else if (alg === "EdDSA") signature = sign(null, Buffer.from(input), k);
    else throw new Error(`signJwt: unsupported alg ${alg}`);
  }
  return `${input}.${b64url(signature)}`;
}

/** The public JWK of a key pair's public key, as a JWKS serves it (RSA: kty, n, e). */
export function publicJwk(key: KeyObject, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const jwk = createPublicKey(key).export({ format: "jwk" }) as Record<string, unknown>;
  return { ...jwk, ...extra };
}

/** RFC 7638 thumbprint of an RSA/EC public JWK (what many issuers use as `kid`). */
export function jwkThumbprint(jwk: Record<string, unknown>): string {
  const members = jwk.kty === "RSA" ? ["e", "kty", "n"] : jwk.kty === "EC" ? ["crv", "kty", "x", "y"] : ["crv", "kty", "x"];
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, jwk[m]])));
  return createHash("sha256").update(canonical).digest("base64url");
}

/** PyJWK.from_dict: the algorithm a JWK stands for when it names none (PyJWT api_jwk.py). */
function defaultAlgorithm(jwk: Record<string, unknown>): string | undefined {
  if (jwk.kty === "RSA") return "RS256";
  if (jwk.kty === "oct") return "HS256";
  if (jwk.kty === "EC") return ({ "P-256": "ES256", "P-384": "ES384", "P-521": "ES512", secp256k1: "ES256K" } as Record<string, string>)[String(jwk.crv)];
  if (jwk.kty === "OKP") return "EdDSA";
  return undefined;
}

export class JwtError extends Error {}

/** PyJWT's `int(payload[name])`: a number (truncated) or a string of digits; anything else fails. */
function integerClaim(claims: JwtClaims, name: string, label: string): number | undefined {
  if (!(name in claims)) return undefined;
  const value = claims[name];
  if (typeof value === "number" && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value)) return Number(value);
  throw new JwtError(`${label} must be an integer.`);
}

/**
 * PyJWT's `jwt.decode(token, PyJWK.from_dict(jwk).key, algorithms=[algorithm], options={"verify_aud": False})`
 * at `nowSeconds`: the claims, or a JwtError with PyJWT's message.
 */
export function verifyWithJwk(token: string, jwk: Record<string, unknown>, algorithm: string, nowSeconds: number): JwtClaims {
  const { header, payload, signingInput, signature } = decodeUnverified(token);
  // PyJWK.from_dict: a key it cannot read (AttributeError for private keys in authentik's comment) fails here.
  const keyAlg = typeof jwk.alg === "string" ? jwk.alg : defaultAlgorithm(jwk);
  if (!keyAlg) throw new JwtError(`Unable to find an algorithm for key: ${JSON.stringify(jwk)}`);
  const alg = header.alg;
  if (typeof alg !== "string" || alg !== algorithm) throw new JwtError("The specified alg value is not allowed");
  let ok: boolean;
  const bits = alg.slice(2);
  try {
    if (alg.startsWith("HS")) {
      if (jwk.kty !== "oct" || typeof jwk.k !== "string") throw new JwtError("The specified key is an asymmetric key or x509 certificate and should not be used as an HMAC secret.");
      const mac = createHmac(HASHES[bits] ?? "sha256", Buffer.from(jwk.k, "base64url")).update(signingInput).digest();
      ok = mac.length === signature.length && timingSafeEqual(mac, signature);
    } else {
      const { d: _private, ...publicPart } = jwk;
      const key = createPublicKey({ key: publicPart as JsonWebKey, format: "jwk" });
      const type = key.asymmetricKeyType;
      if ((alg.startsWith("RS") || alg.startsWith("PS")) && type !== "rsa") throw new JwtError("Expecting a RSA key");
      if (alg.startsWith("ES") && type !== "ec") throw new JwtError("Expecting an EC key");
      if (alg.startsWith("RS")) ok = verify(HASHES[bits]!, Buffer.from(signingInput), key, signature);
      else if (alg.startsWith("PS")) ok = verify(HASHES[bits]!, Buffer.from(signingInput), { key, padding: 6, saltLength: Number(bits) / 8 }, signature);
      else if (alg.startsWith("ES")) ok = verify(HASHES[bits]!, Buffer.from(signingInput), { key, dsaEncoding: "ieee-p1363" }, signature);
      else if (alg === "EdDSA") ok = verify(null, Buffer.from(signingInput), key, signature);
      else throw new JwtError("Algorithm not supported");
    }
  } catch (err) {
    if (err instanceof JwtError) throw err;
    throw new JwtError(`Could not deserialize key data: ${(err as Error).message}`);
  }
  if (!ok) throw new JwtError("Signature verification failed");
  // PyJWT _validate_claims: iat, nbf, exp (in this order), then sub and jti types.
  const iat = integerClaim(payload, "iat", "Issued At claim (iat)");
  if (iat !== undefined && iat > nowSeconds) throw new JwtError("The token is not yet valid (iat)");
  const nbf = integerClaim(payload, "nbf", "Not Before claim (nbf)");
  if (nbf !== undefined && nbf > nowSeconds) throw new JwtError("The token is not yet valid (nbf)");
  const exp = integerClaim(payload, "exp", "Expiration Time claim (exp)");
  if (exp !== undefined && exp <= nowSeconds) throw new JwtError("Signature has expired");
  if ("sub" in payload && typeof payload.sub !== "string") throw new JwtError("Subject must be a string");
  if ("jti" in payload && typeof payload.jti !== "string") throw new JwtError("JWT ID must be a string");
  return payload;
}

/** authentik's generate_id(): 40 random characters of [a-zA-Z0-9] (authentik/lib/generators.py). */
export function generateId(length = 40): string {
  const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const bytes = randomBytes(length);
  return [...bytes].map((b) => chars[b % chars.length]).join("");
}
