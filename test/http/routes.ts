// Calls the real route handlers in-process, as Next would: a Request plus the dynamic params.
export type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

export async function call(handler: unknown, url: string, init: RequestInit & { params?: Record<string, string> } = {}) {
  const { params = {}, ...rest } = init;
  const res = await (handler as Handler)(new Request(`http://localhost:3000${url}`, rest), { params: Promise.resolve(params) });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, body, text, headers: res.headers };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
