// Query parameters that carry credentials (`?token=` is the compatibility path of docs/protocol.md#websocket).
const SECRET_PARAM = /([?&](?:token|access_token|api_key|apikey|key)=)[^&#]*/gi;

/** `url` with the values of credential query parameters (`token`, `access_token`, …) replaced by `[REDACTED]`. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAM, '$1[REDACTED]');
}
