// Hand-written (not generated): a typed Galeno client on openapi-fetch, with the four credential kinds.
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { paths } from "./galeno.js";

export type { components, operations, paths } from "./galeno.js";

/** The credential a family reads; each family accepts only its own kind. */
export type Credential =
  | { kind: "token"; token: string }
  | { kind: "institution"; key: string }
  | { kind: "session"; sessionid?: string }
  | { kind: "patient"; jwt: string };

/** A medic's Prescrypto token (`/api/v2/…`), sent as `Authorization: Token <token>`. */
export const prescryptoToken = (token: string): Credential => ({ kind: "token", token });

/** An institution's API key (`/v1/institutional/…`), sent as a bearer token. */
export const institutionKey = (key: string): Credential => ({ kind: "institution", key });

/**
 * The users family's session (`/users/user/…`): browsers send the `sessionid` cookie that login set
 * (credentials: 'include'); outside a browser, pass the cookie's value from login's Set-Cookie.
 */
export const userSession = (sessionid?: string): Credential => ({ kind: "session", sessionid });

/** A patient's JWT from `POST /auth/login` (`/users`, `/users/me`, `/users/account`), sent as a bearer token. */
export const patientToken = (jwt: string): Credential => ({ kind: "patient", jwt });

/** The options openapi-fetch needs to send credential: its header, or the browser's cookies. */
export function credentialOptions(credential: Credential): Pick<ClientOptions, "headers" | "credentials"> {
  switch (credential.kind) {
    case "token":
      return { headers: { Authorization: `Token ${credential.token}` } };
    case "institution":
      return { headers: { Authorization: `Bearer ${credential.key}` } };
    case "patient":
      return { headers: { Authorization: `Bearer ${credential.jwt}` } };
    case "session":
      return credential.sessionid === undefined
        ? { credentials: "include" }
        : { credentials: "include", headers: { Cookie: `sessionid=${credential.sessionid}` } };
  }
}

/** A client of every Galeno operation at baseUrl (`https://api.example.com`), sending credential when given. */
export function createGalenoClient(baseUrl: string, credential?: Credential, options: ClientOptions = {}): Client<paths> {
  const auth = credential === undefined ? {} : credentialOptions(credential);
  return createClient<paths>({
    ...options,
    ...auth,
    baseUrl,
    headers: { ...(options.headers as Record<string, string> | undefined), ...(auth.headers as Record<string, string> | undefined) },
  });
}
