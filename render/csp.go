package render

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"

	"github.com/a-h/templ"
)

// CSPHeader is the policy [WithCSP] sends; %s is the request's nonce. Only
// scripts carrying the nonce run, and scripts they load ('strict-dynamic':
// the runtime loads pagelet JS); no plugins, no <base> rewriting. Inline
// event handlers and scripts that arrive inside pagelet content never run.
const CSPHeader = "script-src 'nonce-%s' 'strict-dynamic'; object-src 'none'; base-uri 'none'"

// cspPrefix and cspSuffix are CSPHeader before and after its %s: the
// header is put together for every page, without fmt.
var cspPrefix, cspSuffix, _ = strings.Cut(CSPHeader, "%s")

// newNonce draws a fresh CSP nonce: 128 bits from crypto/rand, base64.
// It returns the policy that names it too (CSPHeader with the nonce), the
// nonce being part of the same string: one allocation for both.
func newNonce() (nonce, policy string) {
	var raw [16]byte
	_, _ = rand.Read(raw[:]) // never fails (crypto/rand)
	n := base64.StdEncoding.EncodedLen(len(raw))
	var b strings.Builder
	b.Grow(len(cspPrefix) + n + len(cspSuffix))
	b.WriteString(cspPrefix)
	var enc [24]byte // base64 of 16 bytes
	base64.StdEncoding.Encode(enc[:], raw[:])
	b.Write(enc[:n])
	b.WriteString(cspSuffix)
	policy = b.String()
	return policy[len(cspPrefix) : len(cspPrefix)+n], policy
}

// Nonce returns the CSP nonce of the request whose context ctx is (the
// PageFunc's r.Context(), and the context pagelets load and render with), or
// "" when the renderer sends no policy. A page that writes a <script> of its
// own gives it this nonce: under [WithCSP] a script without it does not run.
// The renderer keeps it where templ does ([templ.WithNonce]), so templ's own
// script elements carry it too.
func Nonce(ctx context.Context) string { return templ.GetNonce(ctx) }

// appendScriptOpen writes "<script" with the nonce attribute, if any, and
// leaves the tag open for a src attribute or its ">". A base64 nonce needs
// no escaping.
func appendScriptOpen(dst []byte, nonce string) []byte {
	dst = append(dst, "<script"...)
	if nonce != "" {
		dst = append(dst, ` nonce="`...)
		dst = append(dst, nonce...)
		dst = append(dst, '"')
	}
	return dst
}
