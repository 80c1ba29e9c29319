// What every interop script shares: the server and the admin it signs in
// as (from the environment), and its steps, each printed ok or FAIL; finish
// exits 1 when a step failed.
//
//   OBJECTOS_URL=http://127.0.0.1:8080 ADMIN_EMAIL=… ADMIN_PASSWORD=…
export const origin = (process.env.OBJECTOS_URL || "http://127.0.0.1:8080").replace(/\/$/, "");
export const email = process.env.ADMIN_EMAIL;
export const password = process.env.ADMIN_PASSWORD;
if (!email || !password) {
  console.error("ADMIN_EMAIL and ADMIN_PASSWORD are required");
  process.exit(2);
}

let failures = 0;

// step runs fn and prints its outcome; it returns what fn returns, or
// undefined when fn threw.
export async function step(name, fn) {
  try {
    const out = await fn();
    console.log(`ok   ${name}`);
    return out;
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${e.message}${e.code ? ` (${e.code})` : ""}`);
    return undefined;
  }
}

// finish ends the run: exit 1 when a step failed.
export function finish(what) {
  if (failures > 0) {
    console.log(`${failures} step(s) failed`);
    process.exit(1);
  }
  console.log(`all ${what} steps passed`);
}
