/**
 * POSTs `body` as JSON (nothing when it is undefined) and throws unless the answer is a success
 * (below 300). The body of the answer is cancelled: the status is all a caller reads.
 */
export async function postOk(
  url: string,
  body?: unknown,
  headers: HeadersInit = {},
): Promise<Response> {
  const response = await fetch(url, {
    method: "POST",
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await response.body?.cancel();
  if (response.status >= 300) throw new Error(`POST ${url}: ${response.status}`);
  return response;
}
