package assets

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// bundleSpec is one [WithBundle] request.
type bundleSpec struct {
	name  string
	parts []string
}

// Separators between the minified parts of a bundle. The newline ends a
// trailing line comment; for JS the semicolon ends a statement that relied
// on automatic semicolon insertion before the next part's "(" or "[".
const (
	cssSeparator = "\n"
	jsSeparator  = ";\n"
)

// bundle joins the parts of spec, already in byName, into a finished asset.
func (b *builder) bundle(spec bundleSpec, byName map[string]*Asset, z *compressor) (*Asset, string, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: "+format, append([]any{ErrBundle, spec.name}, args...)...)
	}
	if !fs.ValidPath(spec.name) || spec.name == "." {
		return nil, "", fail("not a valid asset name")
	}
	if _, taken := byName[spec.name]; taken {
		return nil, "", fail("name already taken")
	}
	if len(spec.parts) == 0 {
		return nil, "", fail("no parts")
	}
	first, ok := byName[spec.parts[0]]
	if !ok {
		return nil, "", fmt.Errorf("%w %q: part %q: %w", ErrBundle, spec.name, spec.parts[0], ErrUnknown)
	}
	sep, ext := cssSeparator, ".css"
	switch first.Type {
	case CSS:
	case JS:
		sep, ext = jsSeparator, ".js"
	default:
		return nil, "", fail("part %q is neither CSS nor JS", first.Name)
	}
	if path.Ext(spec.name) != ext {
		return nil, "", fail("a %s bundle's name must end in %s", first.Type, ext)
	}
	a := &Asset{Name: spec.name, Type: first.Type, ContentType: first.ContentType, Parts: spec.parts}
	seen := make(map[string]bool, len(spec.parts))
	for i, name := range spec.parts {
		p, ok := byName[name]
		switch {
		case !ok:
			return nil, "", fmt.Errorf("%w %q: part %q: %w", ErrBundle, spec.name, name, ErrUnknown)
		case seen[name]:
			return nil, "", fail("part %q listed twice", name)
		case p.Type != first.Type:
			return nil, "", fail("mixes %s and %s (part %q)", first.Type, p.Type, name)
		case p.Type == JS && path.Ext(name) == ".mjs":
			return nil, "", fail("part %q is an ES module, which cannot be concatenated", name)
		case p.Type == JS && (bytes.HasPrefix(p.Body, []byte(`"use strict"`)) || bytes.HasPrefix(p.Body, []byte(`'use strict'`))):
			return nil, "", fail(`part %q starts with a "use strict" directive; move it inside a function`, name)
		case p.Type == CSS && i > 0 && mustLead(p.Body):
			return nil, "", fail("part %q starts with an @import, @charset or @namespace rule, which only works at the start of a stylesheet", name)
		}
		seen[name] = true
		if i > 0 {
			a.Body = append(a.Body, sep...)
		}
		a.Body = append(a.Body, p.Body...)
		a.RawSize += p.RawSize
	}
	key := b.cacheKey(spec.name, a.Body)
	if c := b.cache[key]; c != nil {
		return c, key, nil
	}
	return a, key, b.finish(a, z)
}

// mustLead reports whether minified CSS starts with a rule that browsers
// honour only at the start of a stylesheet.
func mustLead(css []byte) bool {
	for _, at := range []string{"@import", "@charset", "@namespace"} {
		if len(css) >= len(at) && strings.EqualFold(string(css[:len(at)]), at) {
			return true
		}
	}
	return false
}
