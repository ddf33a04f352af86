/** A response body as loosely typed JSON: tests assert on its shape. */
export type Json = any;

/** Reads a response's JSON body. */
export async function jsonOf(res: Response): Promise<Json> {
  return res.json();
}

/** GETs `url` and reads its JSON body. */
export async function getJson(url: string, init?: RequestInit): Promise<Json> {
  return jsonOf(await fetch(url, init));
}
