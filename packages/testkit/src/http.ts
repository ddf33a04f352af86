/** A response body as loosely typed JSON: tests assert on its shape. */
export type Json = any;

/** POSTs a publish body to a gateway at `url`; resolves with the status and the JSON answer. */
export async function publish(url: string, body: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${url}/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Json };
}

/** Publishes `events` as one batch and resolves with the results; throws unless the gateway answered 202. */
export async function publishAccepted(url: string, events: readonly object[]): Promise<{ id: string; channel: string; seq: number }[]> {
  const { status, json } = await publish(url, { events });
  if (status !== 202 || json?.results === undefined) throw new Error(`publish failed: ${status} ${JSON.stringify(json)}`);
  return json.results;
}
