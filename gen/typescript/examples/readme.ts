import { createGalenoClient, institutionKey, patientToken, prescryptoToken, userSession } from "@galeno-health/galeno-client";

const base = "http://127.0.0.1:8080";

// Prescrypto (/api/v2): a medic's token; fields with defaults (is_active, female…) may be left out.
const prescrypto = createGalenoClient(base, prescryptoToken("0123456789abcdef0123456789abcdef01234567"));
const { data: medic, error } = await prescrypto.POST("/api/v2/medics/", {
  body: { name: "Matilde Montoya", password: "s3cret-Passw0rd", email: "matilde@example.com" },
});
if (error) throw new Error(`createMedic: ${JSON.stringify(error)}`);
console.log(medic.id, medic.token);

// Institutional (/v1/institutional): the institution's API key as a bearer token.
const institutional = createGalenoClient(base, institutionKey("inst_live_…"));
await institutional.GET("/v1/institutional/accounts/{account_id}", { params: { path: { account_id: "acc_a1b2c3d4e5f6g7h8" } } });

// Users (/users/user): in a browser the session cookie set by login travels by itself.
const users = createGalenoClient(base, userSession());
await users.POST("/users/user/login/", { body: { username: "jdoe", password: "s3cret-Passw0rd" } });
await users.GET("/users/user/{user_id}/get_user_info/", { params: { path: { user_id: 1 } } });

// Patients (/users, /auth/login): the JWT from login as a bearer token.
const login = await createGalenoClient(base).POST("/auth/login", {
  body: { username: "ana@example.com", password: "s3cret-Passw0rd" },
});
if (login.data) {
  const patient = createGalenoClient(base, patientToken(login.data.token));
  await patient.GET("/users/me");
}
