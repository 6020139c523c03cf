// Calls a running `galeno mock` (GALENO_MOCK_URL) through the client, once for each family's credential.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createGalenoClient, institutionKey, patientToken, prescryptoToken, userSession } from "../client.js";

const base = process.env.GALENO_MOCK_URL ?? "";

test("the mock's URL is given", () => {
  assert.match(base, /^http:\/\//);
});

test("prescrypto: a medic's token creates and lists medics", async () => {
  const client = createGalenoClient(base, prescryptoToken("0123456789abcdef0123456789abcdef01234567"));
  const created = await client.POST("/api/v2/medics/", {
    body: { name: "Matilde Montoya", password: "s3cret-Passw0rd", email: "matilde@example.com" },
  });
  assert.equal(created.response.status, 201, JSON.stringify(created.error));
  assert.equal(typeof created.data?.token, "string");
  const page = await client.GET("/api/v2/medics/", { params: { query: { limit: 2 } } });
  assert.equal(page.response.status, 200);
  assert.ok(Array.isArray(page.data?.results));
});

test("prescrypto: without the token the answer is the dialect's 401", async () => {
  const { response, error } = await createGalenoClient(base).GET("/api/v2/medics/");
  assert.equal(response.status, 401);
  assert.ok(error);
});

test("institutional: the institution key reads an account", async () => {
  const client = createGalenoClient(base, institutionKey("inst_test_key"));
  const { response, data } = await client.GET("/v1/institutional/accounts/{account_id}", {
    params: { path: { account_id: "acc_a1b2c3d4e5f6g7h8" } },
  });
  assert.equal(response.status, 200);
  assert.equal(typeof data?.email, "string");
});

test("users: login's session cookie reads a user", async () => {
  const login = await createGalenoClient(base).POST("/users/user/login/", {
    body: { username: "jdoe", password: "s3cret-Passw0rd" },
  });
  assert.equal(login.response.status, 200, JSON.stringify(login.error));
  const sessionid = /sessionid=([^;]+)/.exec(login.response.headers.get("set-cookie") ?? "")?.[1];
  assert.ok(sessionid, "login set no sessionid cookie");
  const client = createGalenoClient(base, userSession(sessionid));
  // The mock's example user is not user 1, so ask for the documented example by name.
  const info = await client.GET("/users/user/{user_id}/get_user_info/", {
    params: { path: { user_id: 1 } },
    headers: { Prefer: "example=UserInfo" },
  });
  assert.equal(info.response.status, 200, JSON.stringify(info.error));
  assert.equal(typeof info.data?.data?.username, "string");
  const anonymous = await createGalenoClient(base).GET("/users/user/{user_id}/get_user_info/", {
    params: { path: { user_id: 1 } },
    headers: { Prefer: "example=UserInfo" },
  });
  assert.equal(anonymous.response.status, 401);
});

test("patients: login's JWT reads the current patient", async () => {
  const login = await createGalenoClient(base).POST("/auth/login", {
    body: { username: "ana@example.com", password: "s3cret-Passw0rd" },
  });
  assert.equal(login.response.status, 200, JSON.stringify(login.error));
  assert.ok(login.data);
  const { response } = await createGalenoClient(base, patientToken(login.data.token)).GET("/users/me");
  assert.equal(response.status, 200);
});
