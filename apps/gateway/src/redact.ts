/** Replaces the value of `token` (and `access_token`) query parameters so URLs can be logged. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:access_)?token=)[^&#]*/gi, '$1[redacted]');
}
