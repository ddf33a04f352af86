// Redaction works on what the server *reads*, not on the raw text: `?%74oken=` is `token` to
// URLSearchParams, so a pattern over the raw string would miss it. Names are compared decoded,
// lower-cased and without separators (`access-token`, `accessToken`, `API_KEY` all match).
const CREDENTIAL_NAME = /token|key|secret|passw|pwd|auth|jwt|sig|credential|session|cookie|ticket/;
// A JWS compact serialization (header.payload.signature, base64url, the header a JSON object),
// wherever it appears and under whatever name.
const JWT_LIKE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const REDACTED = '[REDACTED]';

/** Percent-decodes `text`, leaving malformed escapes as they are (a log line must never throw). */
function lenientDecode(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/** Encodes a decoded name or value for display, keeping common harmless characters readable. */
function display(text: string): string {
  return encodeURIComponent(text).replace(/%(2C|3A|2F|40|2A|24|3B)/gi, (escape) => decodeURIComponent(escape));
}

/** True when a query parameter name (already decoded) names a credential. */
export function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(name.toLowerCase().replace(/[^a-z0-9]/g, ''));
}

/** `text` with every JWT-shaped substring replaced by `[REDACTED]`. */
export function redactJwts(text: string): string {
  return text.replace(JWT_LIKE, REDACTED);
}

/**
 * `url` (a request target such as `/ws?token=…`) as it may be logged: the query is parsed the way
 * the server parses it (percent-decoded names), and the value of every parameter whose name names a
 * credential (`token`, `access_token`, `api_key`, `secret`, … in any case or encoding) becomes
 * `[REDACTED]`; a JWT-shaped value is redacted under any name, and in the path too. Never throws.
 */
export function redactUrl(url: string): string {
  const hashAt = url.indexOf('#');
  const target = hashAt === -1 ? url : url.slice(0, hashAt);
  const fragment = hashAt === -1 ? '' : url.slice(hashAt);
  const queryAt = target.indexOf('?');
  const path = redactJwts(lenientDecode(queryAt === -1 ? target : target.slice(0, queryAt)));
  const tail = redactJwts(lenientDecode(fragment));
  if (queryAt === -1) return path + tail;
  const params = [...new URLSearchParams(target.slice(queryAt + 1))].map(([name, value]) => {
    if (isCredentialName(name) || redactJwts(value) !== value) return `${display(redactJwts(name))}=${REDACTED}`;
    return `${display(redactJwts(name))}=${display(value)}`;
  });
  return `${path}?${params.join('&')}${tail}`;
}
