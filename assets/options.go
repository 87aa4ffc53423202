package assets

import (
	"strings"
	"time"
)

// DefaultInlineLimit is the largest minified stylesheet or script, in bytes,
// that [Asset.Inline] offers for inlining unless [WithInlineLimit] says otherwise.
const DefaultInlineLimit = 4 << 10

// DefaultPollInterval is how often a [NewDev] registry looks for changed
// files at most, unless [WithPollInterval] says otherwise.
const DefaultPollInterval = 500 * time.Millisecond

// Option configures [New] and [NewDev].
type Option func(*config)

type config struct {
	prefix      string
	inlineLimit int
	poll        time.Duration
	bundles     []bundleSpec
}

func newConfig(opts []Option) config {
	c := config{prefix: "/static/", inlineLimit: DefaultInlineLimit, poll: DefaultPollInterval}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithPrefix sets the URL path prefix the registry is mounted at.
// The default is "/static/".
func WithPrefix(prefix string) Option {
	return func(c *config) {
		if !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		c.prefix = prefix
	}
}

// WithInlineLimit sets the largest minified stylesheet or script, in bytes,
// that [Asset.Inline] allows (default [DefaultInlineLimit]). Zero or less turns
// inlining off.
func WithInlineLimit(n int) Option {
	return func(c *config) { c.inlineLimit = n }
}

// WithPollInterval sets how often a [NewDev] registry checks its directory
// for changes at most (default [DefaultPollInterval]); zero checks on every
// call. [New] ignores it.
func WithPollInterval(d time.Duration) Option {
	return func(c *config) { c.poll = d }
}

// WithBundle adds an asset called name that joins the registered files parts,
// in order, into one file with its own hashed URL, id and compressed
// variants: for stylesheets or scripts that always travel together. The
// parts stay addressable on their own.
//
// All parts must be CSS (and name end in ".css") or all classic JS (and name
// end in ".js"); JS parts are joined with ";\n" so no statement or line
// comment runs into the next part. [New] fails, with an error matching
// [ErrBundle], for an unknown part (also [ErrUnknown]), mixed types, a name
// already taken, no parts, a part listed twice, a CSS part after the first
// that starts with @import or @charset (browsers would ignore it), an ES
// module (.mjs) part, or a JS part that starts with a "use strict" directive
// (it would apply to, or be lost for, the other parts).
func WithBundle(name string, parts ...string) Option {
	spec := bundleSpec{name: name, parts: append([]string(nil), parts...)}
	return func(c *config) { c.bundles = append(c.bundles, spec) }
}
