package auth

// OpenAPI describes the auth routes for the deployment's OpenAPI document
// (the rest plugin merges it; see rest.OpenAPIDescriber). Request bodies are
// JSON or form-encoded, as better-auth's; errors are {code, message}.
func (p *Plugin) OpenAPI() map[string]any {
	type obj = map[string]any
	ref := func(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }
	str := obj{"type": "string"}
	nullStr := obj{"type": []any{"string", "null"}}
	dt := obj{"type": "string", "format": "date-time"}
	object := func(props obj, required ...string) obj {
		s := obj{"type": "object", "properties": props}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	}
	public := []any{}
	session := []any{obj{"sessionCookie": []string{}}, obj{"bearerAuth": []string{}}}
	fail := func(desc string) obj {
		return obj{"description": desc, "content": obj{"application/json": obj{"schema": ref("AuthError")}}}
	}
	errs := func(codes ...int) obj {
		out := obj{"429": fail("Too many attempts (RATE_LIMIT_EXCEEDED)."), "default": fail("A server failure.")}
		for _, c := range codes {
			switch c {
			case 400:
				out["400"] = fail("Invalid input (INVALID_EMAIL, PASSWORD_TOO_SHORT, PASSWORD_TOO_LONG, VALIDATION_ERROR, INVALID_PASSWORD, INVALID_TOKEN, RESET_PASSWORD_DISABLED, …).")
			case 401:
				out["401"] = fail("Not signed in, or a wrong email or password (UNAUTHORIZED, INVALID_EMAIL_OR_PASSWORD).")
			case 403:
				out["403"] = fail("Refused (ACCOUNT_LOCKED, BANNED_USER, SIGN_UP_DISABLED, EMAIL_NOT_VERIFIED, INVALID_ORIGIN, INVALID_CALLBACK_URL, INVALID_REDIRECT_URL).")
			case 404:
				out["404"] = fail("Not found (PROVIDER_NOT_FOUND, NOT_FOUND).")
			case 413:
				out["413"] = fail("The body is too large.")
			case 415:
				out["415"] = fail("Send JSON or form data.")
			case 422:
				out["422"] = fail("The user exists already (USER_ALREADY_EXISTS).")
			}
		}
		return out
	}
	body := func(schema obj) obj {
		return obj{"required": true, "content": obj{"application/json": obj{"schema": schema},
			"application/x-www-form-urlencoded": obj{"schema": schema}}}
	}
	optionalBody := func(schema obj) obj {
		b := body(schema)
		b["required"] = false
		return b
	}
	ok := func(desc string, schema obj, extra obj) obj {
		r := obj{"200": obj{"description": desc, "content": obj{"application/json": obj{"schema": schema}}}}
		for k, v := range extra {
			r[k] = v
		}
		return r
	}
	withHeaders := func(r obj, headers obj) obj {
		r["200"].(obj)["headers"] = headers
		return r
	}
	trustDevice := obj{"type": "boolean", "description": "trust this browser for 30 days: its next password sign-ins of the user skip the code (the " +
		TrustDeviceCookieName + " cookie)"}
	tokenHeader := obj{"set-auth-token": obj{"description": "the session token, also usable as Authorization: Bearer", "schema": str},
		"Set-Cookie": obj{"description": "the session cookie", "schema": str}}
	op := func(id, summary string, security []any, req obj, responses obj) obj {
		o := obj{"operationId": id, "summary": summary, "tags": []string{"auth"}, "security": security, "responses": responses}
		if req != nil {
			o["requestBody"] = req
		}
		return o
	}
	merge := func(a, b obj) obj {
		for k, v := range b {
			a[k] = v
		}
		return a
	}
	// adminErrs are the errors of an admin route: forbidden is its code for
	// a caller who is not an administrator, bad its 400 codes.
	adminErrs := func(forbidden, bad string, codes ...int) obj {
		out := errs(codes...)
		out["400"] = fail("Invalid input (" + bad + ").")
		out["401"] = fail("Not signed in (UNAUTHORIZED).")
		out["403"] = fail("Not an administrator (" + forbidden + "), or a session cookie sent from another origin (INVALID_ORIGIN).")
		if _, ok := out["404"]; ok {
			out["404"] = fail("No user has this id (USER_NOT_FOUND).")
		}
		return out
	}
	userID := obj{"type": "string", "description": "the user's id"}
	withUser := object(obj{"user": ref("AuthUser")}, "user")
	success := object(obj{"success": obj{"type": "boolean"}}, "success")
	status := object(obj{"status": obj{"type": "boolean"}}, "status")
	paths := obj{
		"/auth/sign-up/email": obj{"post": op("signUpEmail", "Sign up with email and password (the first user becomes an administrator)", public,
			body(object(obj{"name": str, "email": str, "password": str, "image": str, "rememberMe": obj{},
				"callbackURL": obj{"type": "string", "description": "where the verification link sends the browser"}}, "email", "password")),
			merge(ok("Signed up and signed in (token null, and no session, while the address awaits verification with RequireEmailVerification).",
				object(obj{"token": nullStr, "user": ref("AuthUser")}, "token", "user"), nil), errs(400, 403, 413, 415, 422)))},
		"/auth/sign-in/email": obj{"post": op("signInEmail", "Sign in with email and password", public,
			body(object(obj{"email": str, "password": str, "rememberMe": obj{"description": "false: the session ends with the browser"},
				"callbackURL": str}, "email", "password")),
			merge(obj{"200": obj{"description": "Signed in.", "headers": tokenHeader, "content": obj{"application/json": obj{
				"schema": obj{"anyOf": []any{object(obj{"redirect": obj{"type": "boolean"}, "token": str, "user": ref("AuthUser")}, "redirect", "token", "user"),
					object(obj{"twoFactorRedirect": obj{"type": "boolean", "description": "the user has two-factor on: no session yet; the pending cookie (" + TwoFactorCookieName + ") goes to /auth/two-factor/verify-totp or verify-backup-code"},
						"twoFactorMethods": obj{"type": "array", "items": str, "description": "the second factors the user can use: [\"totp\"]"}}, "twoFactorRedirect", "twoFactorMethods")}}}}}},
				errs(400, 401, 403, 413, 415)))},
		"/auth/sign-out": obj{"post": op("signOut", "Sign out: revoke the session and clear the cookie", public,
			nil, merge(ok("Signed out.", success, nil), errs(403, 413, 415)))},
		"/auth/get-session": obj{"get": op("getSession", "The current session and user, or null", public, nil,
			merge(withHeaders(ok("The session, or null without one.", obj{"anyOf": []any{
				object(obj{"session": ref("AuthSession"), "user": ref("AuthUser")}, "session", "user"), obj{"type": "null"}}}, nil),
				obj{"set-auth-jwt": obj{"description": "with a session: a fresh short-lived JWT for it, as GET /auth/token answers", "schema": str}}), errs()))},
		"/auth/bootstrap-status": obj{"get": op("bootstrapStatus", "Whether a first user exists", public, nil,
			merge(ok("The status.", object(obj{"hasOwner": obj{"type": "boolean"}}, "hasOwner"), nil), errs()))},
		"/auth/config": obj{"get": op("authConfig", "The enabled sign-in methods and providers", public, nil,
			merge(ok("The configuration.", obj{"type": "object"}, nil), errs()))},
		"/auth/sign-in/social": obj{"post": op("signInSocial", "Start an OAuth / OpenID Connect sign-in", public,
			body(object(obj{"provider": str, "callbackURL": str, "errorCallbackURL": str, "newUserCallbackURL": str,
				"disableRedirect": obj{"type": "boolean"}}, "provider")),
			merge(ok("The provider's authorization URL.", object(obj{"url": str, "redirect": obj{"type": "boolean"}}, "url", "redirect"), nil),
				errs(400, 403, 404, 413, 415)))},
		"/auth/callback/{provider}": obj{"get": merge(op("oauthCallback", "The provider's redirect back: completes the sign-in", public, nil,
			merge(obj{"302": obj{"description": "To the callback URL, signed in (or with ?error=code).",
				"headers": obj{"Location": obj{"schema": str}}}}, errs(400, 404))),
			obj{"parameters": []any{obj{"name": "provider", "in": "path", "required": true, "schema": str},
				obj{"name": "state", "in": "query", "schema": str}, obj{"name": "code", "in": "query", "schema": str}}})},
		"/auth/change-password": obj{"post": op("changePassword", "Change the password (needs the current one)", session,
			body(object(obj{"currentPassword": str, "newPassword": str, "revokeOtherSessions": obj{"type": "boolean"},
				"revokeApiKeys": obj{"type": "boolean", "description": "revoke the user's API keys too"}})),
			merge(ok("Changed; with revokeOtherSessions, a new session token.", object(obj{"token": nullStr, "user": ref("AuthUser")}, "token", "user"), nil),
				errs(400, 401, 403, 413, 415)))},
		"/auth/request-password-reset": obj{"post": op("requestPasswordReset", "Mail a password-reset link (the same answer whether or not the address is a user's)", public,
			body(object(obj{"email": str, "redirectTo": obj{"type": "string", "description": "where the link sends the browser, with ?token=…"}}, "email")),
			merge(ok("Requested.", object(obj{"status": obj{"type": "boolean"}, "message": str}, "status", "message"), nil), errs(400, 403, 413, 415)))},
		"/auth/reset-password/{token}": obj{"get": merge(op("resetPasswordCallback", "The link of the reset message: on to callbackURL with ?token=… (or ?error=INVALID_TOKEN)", public, nil,
			merge(obj{"302": obj{"description": "To callbackURL with ?token=… or ?error=INVALID_TOKEN.",
				"headers": obj{"Location": obj{"schema": str}}}}, errs(400, 403))),
			obj{"parameters": []any{obj{"name": "token", "in": "path", "required": true, "schema": str},
				obj{"name": "callbackURL", "in": "query", "required": true, "schema": str}}})},
		"/auth/reset-password": obj{"post": op("resetPassword", "Set a new password with a reset token; every session of the user is revoked", public,
			body(object(obj{"newPassword": str, "token": str}, "newPassword")),
			merge(ok("Reset.", status, nil), errs(400, 403, 413, 415)))},
		"/auth/send-verification-email": obj{"post": op("sendVerificationEmail", "Mail an email-verification link (signed out: the same answer for every address)", public,
			body(object(obj{"email": str, "callbackURL": str}, "email")),
			merge(ok("Requested.", status, nil), errs(400, 403, 413, 415)))},
		"/auth/verify-email": obj{"get": merge(op("verifyEmail", "The link of a verification message: verifies the address, or makes it the user's (change-email)", public, nil,
			merge(ok("Verified; user is the changed user after a change of address, else null.",
				object(obj{"status": obj{"type": "boolean"}, "user": obj{"anyOf": []any{ref("AuthUser"), obj{"type": "null"}}}}, "status"),
				obj{"302": obj{"description": "To callbackURL (with ?error=CODE on failure).", "headers": obj{"Location": obj{"schema": str}}},
					"401": fail("A wrong, used or expired token (INVALID_TOKEN, TOKEN_EXPIRED, USER_NOT_FOUND).")}),
				errs(403, 422))),
			obj{"parameters": []any{obj{"name": "token", "in": "query", "required": true, "schema": str},
				obj{"name": "callbackURL", "in": "query", "schema": str}}})},
		"/auth/change-email": obj{"post": op("changeEmail", "Change your address: a link is mailed to the new one, and the change happens when it is followed", session,
			body(object(obj{"newEmail": str, "callbackURL": str}, "newEmail")),
			merge(ok("Requested (also when another user has the address; no message is sent then).", status, nil), errs(400, 401, 403, 413, 415)))},
		"/auth/update-user": obj{"post": op("updateUser", "Change your name or image", session,
			body(object(obj{"name": str, "image": nullStr})),
			merge(ok("Updated.", status, nil), errs(400, 401, 403, 413, 415)))},
		"/auth/token": obj{"get": op("getToken", "A short-lived JWT (EdDSA) for your session, for Authorization: Bearer; a signed-out session's token stays valid until it expires", session, nil,
			merge(ok("The token.", object(obj{"token": str}, "token"), nil), errs(401)))},
		"/auth/jwks": obj{"get": op("getJwks", "The public keys (JWK, Ed25519) that verify the tokens of /auth/token", public, nil,
			merge(ok("The keys.", object(obj{"keys": obj{"type": "array", "items": object(obj{"kty": str, "crv": str, "x": str,
				"kid": str, "alg": str, "use": str}, "kty", "crv", "x", "kid", "alg", "use")}}, "keys"), nil), errs()))},
		"/auth/two-factor/enable": obj{"post": op("enableTwoFactor", "A new TOTP secret and 10 backup codes; two-factor is on once verify-totp accepts a code of it", session,
			body(object(obj{"password": str, "issuer": str}, "password")),
			merge(ok("The secret's otpauth:// URI and the backup codes (shown this once).",
				object(obj{"totpURI": str, "backupCodes": obj{"type": "array", "items": str}}, "totpURI", "backupCodes"), nil), errs(400, 401, 403, 413, 415)))},
		"/auth/two-factor/disable": obj{"post": op("disableTwoFactor", "Turn two-factor off and forget the secret and backup codes", session,
			body(object(obj{"password": str}, "password")), merge(ok("Disabled.", status, nil), errs(400, 401, 403, 413, 415)))},
		"/auth/two-factor/get-totp-uri": obj{"post": op("getTotpUri", "The otpauth:// URI of your TOTP secret", session,
			body(object(obj{"password": str}, "password")),
			merge(ok("The URI.", object(obj{"totpURI": str}, "totpURI"), nil), errs(400, 401, 403, 413, 415)))},
		"/auth/two-factor/verify-totp": obj{"post": op("verifyTotp", "Complete a pending sign-in with an authenticator code (or, signed in without one pending, turn two-factor on)", public,
			body(object(obj{"code": str, "trustDevice": trustDevice}, "code")),
			merge(obj{"200": obj{"description": "Signed in (or two-factor turned on).", "headers": tokenHeader, "content": obj{"application/json": obj{
				"schema": object(obj{"redirect": obj{"type": "boolean"}, "token": str, "user": ref("AuthUser")}, "token", "user")}}},
				"401": fail("A wrong or reused code, or no pending sign-in (INVALID_CODE, INVALID_TWO_FACTOR_COOKIE).")}, errs(400, 403, 413, 415)))},
		"/auth/two-factor/verify-backup-code": obj{"post": op("verifyBackupCode", "Complete a pending sign-in with a backup code, which is used up", public,
			body(object(obj{"code": str, "trustDevice": trustDevice}, "code")),
			merge(obj{"200": obj{"description": "Signed in.", "headers": tokenHeader, "content": obj{"application/json": obj{
				"schema": object(obj{"redirect": obj{"type": "boolean"}, "token": str, "user": ref("AuthUser")}, "token", "user")}}},
				"401": fail("A wrong or used code, or no pending sign-in (INVALID_BACKUP_CODE, INVALID_TWO_FACTOR_COOKIE).")}, errs(400, 403, 413, 415)))},
		"/auth/list-sessions": obj{"get": op("listSessions", "Your live sessions, newest first (never a token)", session, nil,
			merge(ok("The sessions.", obj{"type": "array", "items": ref("AuthSession")}, nil), errs(401)))},
		"/auth/revoke-session": obj{"post": op("revokeSession", "Revoke one of your sessions, by token or id", session,
			body(object(obj{"token": str}, "token")), merge(ok("Revoked.", status, nil), errs(400, 401, 403, 413, 415)))},
		"/auth/revoke-sessions": obj{"post": op("revokeSessions", "Revoke all your sessions (with revokeApiKeys, your API keys too)", session,
			optionalBody(object(obj{"revokeApiKeys": obj{"type": "boolean"}})),
			merge(ok("Revoked.", status, nil), errs(400, 401, 403, 413, 415)))},
		"/auth/revoke-other-sessions": obj{"post": op("revokeOtherSessions", "Revoke all your sessions but this one", session, nil,
			merge(ok("Revoked.", status, nil), errs(401, 403, 413, 415)))},
		"/auth/admin/list-user-sessions": obj{"post": op("adminListUserSessions", "A user's live sessions, newest first (never a token); administrators only", session,
			body(object(obj{"userId": userID}, "userId")),
			merge(ok("The sessions.", object(obj{"sessions": obj{"type": "array", "items": ref("AuthSession")}}, "sessions"), nil),
				adminErrs("YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS", "VALIDATION_ERROR, INVALID_REQUEST_BODY", 400, 401, 403, 404, 413, 415)))},
		"/auth/admin/revoke-user-session": obj{"post": op("revokeUserSession", "Revoke any user's session, by token or id; administrators only", session,
			body(object(obj{"sessionToken": obj{"type": "string", "description": "the session's token, or its id (as the session lists show)"}}, "sessionToken")),
			merge(ok("Revoked (also when no live session matched).", success, nil),
				adminErrs("YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS", "VALIDATION_ERROR, INVALID_REQUEST_BODY", 400, 401, 403, 413, 415)))},
		"/auth/admin/revoke-user-sessions": obj{"post": op("revokeUserSessions", "Revoke every session of a user; administrators only", session,
			body(object(obj{"userId": userID}, "userId")),
			merge(ok("Revoked.", success, nil),
				adminErrs("YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS", "VALIDATION_ERROR, INVALID_REQUEST_BODY", 400, 401, 403, 404, 413, 415)))},
		"/auth/admin/ban-user": obj{"post": op("banUser", "Ban a user and revoke their sessions; administrators only", session,
			body(object(obj{"userId": userID,
				"banReason": obj{"type": "string", "description": "default \"No reason\""},
				"banExpiresIn": obj{"type": []any{"number", "string"}, "minimum": 0, "maximum": maxBanSeconds,
					"description": "seconds until the ban ends; absent or 0: until unbanned (a string holding the number is accepted, for form bodies)"}},
				"userId")),
			merge(ok("Banned.", withUser, nil),
				adminErrs("YOU_ARE_NOT_ALLOWED_TO_BAN_USERS", "VALIDATION_ERROR, INVALID_REQUEST_BODY, YOU_CANNOT_BAN_YOURSELF", 400, 401, 403, 404, 413, 415)))},
		"/auth/admin/unban-user": obj{"post": op("unbanUser", "Lift a user's ban; administrators only", session,
			body(object(obj{"userId": userID}, "userId")),
			merge(ok("Unbanned.", withUser, nil),
				adminErrs("YOU_ARE_NOT_ALLOWED_TO_BAN_USERS", "VALIDATION_ERROR, INVALID_REQUEST_BODY", 400, 401, 403, 404, 413, 415)))},
		"/auth/admin/create-user": obj{"post": op("adminCreateUser", "Create a user with a password; administrators only", session,
			body(object(obj{"email": str, "password": str, "name": str,
				"role": obj{"type": "string", "enum": []any{"user", "admin"}, "description": "default user"},
				"data": obj{"type": "object", "additionalProperties": false, "description": "more of the user's fields",
					"properties": obj{"permission_sets": obj{"type": "array", "items": str}, "image": str}}},
				"email", "password")),
			merge(ok("Created.", withUser, nil),
				adminErrs("YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS", "VALIDATION_ERROR, INVALID_REQUEST_BODY, INVALID_EMAIL, PASSWORD_TOO_SHORT, PASSWORD_TOO_LONG, "+
					"USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL, YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE", 400, 401, 403, 413, 415)))},
		"/auth/admin/set-user-password": obj{"post": op("setUserPassword", "Set a user's password and revoke their sessions; administrators only", session,
			body(object(obj{"userId": userID, "newPassword": str}, "userId", "newPassword")),
			merge(ok("Set.", status, nil),
				adminErrs("YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD", "VALIDATION_ERROR, INVALID_REQUEST_BODY, PASSWORD_TOO_SHORT, PASSWORD_TOO_LONG", 400, 401, 403, 404, 413, 415)))},
	}
	schemas := obj{
		"AuthError": object(obj{"code": str, "message": str}, "code", "message"),
		"AuthUser": object(obj{"id": str, "name": str, "email": str, "emailVerified": obj{"type": "boolean"},
			"image": nullStr, "createdAt": dt, "updatedAt": dt, "role": nullStr, "banned": obj{"type": "boolean"}, "twoFactorEnabled": obj{"type": "boolean"},
			"banReason": nullStr, "banExpires": obj{"type": []any{"string", "null"}, "format": "date-time"}},
			"id", "email", "emailVerified"),
		"AuthSession": object(obj{"id": str, "token": str, "userId": str, "expiresAt": dt, "createdAt": dt, "updatedAt": dt,
			"ipAddress": nullStr, "userAgent": nullStr}, "id", "userId", "expiresAt"),
	}
	return map[string]any{
		"paths": paths,
		"components": obj{"schemas": schemas, "securitySchemes": obj{
			"sessionCookie": obj{"type": "apiKey", "in": "cookie", "name": p.opts.CookieName,
				"description": "The session cookie (named __Secure-" + p.opts.CookieName + " on HTTPS)."},
		}},
		"tags": []any{obj{"name": "auth", "description": "Sign-up, sign-in and sessions (better-auth compatible)"}},
	}
}
