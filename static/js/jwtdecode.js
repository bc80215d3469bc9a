// Decoding a JWT needs no key: it is three base64url parts joined by dots.
// The signature (third part) can only be *checked* with the key; reading needs nothing.

export function base64urlToText(part) {
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

export function decodeJwt(token) {
  const [header, payload, signature] = token.split(".");
  return {
    header: JSON.parse(base64urlToText(header)),
    payload: JSON.parse(base64urlToText(payload)),
    signature,
  };
}

export { clock } from "./lab.js"; // kept here too for the pages that import it from here
