/** PKCE (RFC 7636) helpers on Web Crypto: a random verifier and its S256 challenge. */

function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A URL-safe random string of `length` characters. */
export function randomString(length: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(length))).slice(0, length);
}

/** `BASE64URL(SHA256(verifier))`. */
export async function codeChallenge(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}
