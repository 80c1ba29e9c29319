// Package objectos turns a declared artifact — objects, fields, actions,
// permission sets and views — into a complete, secure data API.
//
// The root package holds the model and the engine:
//
//   - the artifact model ([Artifact], [Object], [Field], …), built in Go or
//     loaded from JSON or YAML with [LoadArtifact] and [ParseArtifact], and
//     validated strictly: every problem is reported at once, with its path
//     and, where it helps, a did-you-mean;
//   - the storage-neutral query ([Filter], [Query], [SortKey]) with the
//     ObjectQL filter grammar in both its object and array forms
//     ([ParseFilter]);
//   - the [Stack]: the engine behind every surface ([Stack.Create],
//     [Stack.Get], [Stack.List], [Stack.Update], [Stack.Delete],
//     [Stack.CreateMany], [Stack.RunAction]), which
//     applies authentication context, permissions ([SecurityPlugin]), record
//     and field access, validation and hooks, and the HTTP handler that
//     serves the routes of its plugins under a base path (default /api/v1);
//   - the HTTP kernel's own policies: [CORS], rate limits ([RateLimits],
//     with the in-memory [MemoryLimiter]), the client address behind
//     trusted proxies ([Stack.ClientIP]) and hardened response headers;
//   - the contracts: [Store], [Plugin], [AuthPlugin], [SecurityPlugin],
//     [RateLimiter], [Principal], and [Error] with stable codes.
//
// Storage lives in the store package (bun, on PostgreSQL or SQLite); the
// storetest package is the conformance suite any Store must pass. The root
// package imports neither bun nor any of its own subpackages.
//
// A minimal program:
//
//	st, _ := store.Memory(ctx)
//	stack, err := objectos.New(ctx, objectos.Options{Artifact: artifact, Store: st})
//	ctx = objectos.WithPrincipal(ctx, &objectos.Principal{UserID: "u1"})
//	res, err := stack.Create(ctx, "crm_account", objectos.Record{"name": "Acme"})
package objectos
