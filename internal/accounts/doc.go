// Package accounts is the demo site's readers: sign-up, sign-in and
// sign-out forms, sessions kept in the store, and the middleware that
// tells every request who its reader is ([pagelet.ReaderFrom]).
//
//	acc := accounts.New(st, accounts.WithToken("dp_client", secret),
//		accounts.WithSignOut(func(ctx context.Context, r pagelet.Reader) { engine.Disconnect(r.ID) }))
//	acc.Routes(mux, acc.Middleware)
//	// a page's handler, wrapped in acc.Middleware, reads its reader:
//	r := pagelet.ReaderFrom(req.Context())
//
// # Names
//
// A name is 3 to 30 ASCII letters, digits, '-' and '_' ([CheckName]); the
// reader id is it folded to lower case ([ID]); no two accounts share a
// [Skeleton], the name with look-alike characters mapped alike.
//
// # Passwords
//
// At least 10 characters, at most 1024 bytes, hashed with argon2id
// (19 MiB, two passes, one lane) and a random salt, stored as a PHC
// string, compared in constant time. At most GOMAXPROCS hashes run at once.
//
// # Sessions
//
// A session id is 256 random bits in the cookie [SessionCookie]
// (HttpOnly, SameSite=Lax, Secure under TLS); the store keeps its SHA-256
// only, with the expiry it enforces ([DefaultSessionTTL]). Every sign-in
// makes a new one. Signing out deletes it and calls the site's hook
// ([WithSignOut]). [Accounts.Valid] is the live engine's check of a
// reader's session.
//
// # Sign-in limits
//
// Failed sign-ins are counted per client address and per name; past the
// limit ([WithSignInLimits]) both are refused with 429 and Retry-After.
// An unknown name and a wrong password get the same answer after the same
// work. Every form carries the form package's CSRF token.
package accounts
