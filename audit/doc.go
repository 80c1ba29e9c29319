// Package audit keeps the audit log of security events: the sys_audit_log
// system object, which administrators read (get and list) through the data
// API and nobody writes through it, and Record, which plugins call to add
// an entry in the transaction of the event they record.
//
// The auth and apikey plugins record sign-ins (successful and failed),
// lockouts, sign-outs, session revocations, password changes, API keys
// minted and revoked, permission changes and bans; the plugin itself records
// action runs (it is an objectos.ActionObserver). Record does nothing on a
// Stack without this plugin, so they need no configuration:
//
//	st, err := objectos.New(ctx, objectos.Options{Plugins: []objectos.Plugin{
//		rest.New(rest.Options{}), auth.New(auth.Options{}), apikey.New(apikey.Options{}),
//		security.New(), audit.New(audit.Options{Retention: 90 * 24 * time.Hour}),
//	}, …})
//
// Entries hold no secret: no password, token, key or hash.
package audit
