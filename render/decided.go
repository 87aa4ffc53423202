package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	nethtml "golang.org/x/net/html"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

// A pagelet's Load may decide part of the document's head
// ([pagelet.WithHead]): a plain page writes it into its <head> (which
// waits for it, see pass.waitHead), a BigPipe page sends it in the
// pagelet's payload, where the runtime applies it.

// checkHead reports why h cannot be written: a JSON-LD value that does not
// marshal. It is checked once, as the Load returns, so that every later
// write of it succeeds.
func checkHead(h *pagelet.Head) error {
	for i, v := range h.JSONLD {
		if _, err := json.Marshal(v); err != nil {
			return fmt.Errorf("head: JSON-LD #%d: %w", i, err)
		}
	}
	return nil
}

// appendJSONLD appends v as JSON that can stand inside a script element:
// encoding/json escapes <, >, &, U+2028 and U+2029, so no string in it can
// end the element or the script around a payload. checkHead vouched that
// it marshals.
func appendJSONLD(dst []byte, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return append(dst, "null"...)
	}
	return append(dst, b...)
}

// appendHeadJSON writes a payload's "head" member: what the runtime
// applies when the pagelet arrives.
func appendHeadJSON(dst []byte, h *pagelet.Head) []byte {
	dst = append(dst, `,"head":{`...)
	n := len(dst)
	sep := func() {
		if len(dst) > n {
			dst = append(dst, ',')
		}
	}
	if h.Title != "" {
		dst = append(dst, `"title":`...)
		dst = appendJSString(dst, h.Title)
	}
	if len(h.Meta) > 0 {
		sep()
		dst = append(dst, `"meta":[`...)
		for i, m := range h.Meta {
			if i > 0 {
				dst = append(dst, ',')
			}
			if m.Property != "" {
				dst = append(dst, `{"property":`...)
				dst = appendJSString(dst, m.Property)
			} else {
				dst = append(dst, `{"name":`...)
				dst = appendJSString(dst, m.Name)
			}
			dst = append(dst, `,"content":`...)
			dst = appendJSString(dst, m.Content)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if h.Canonical != "" {
		sep()
		dst = append(dst, `"canonical":`...)
		dst = appendJSString(dst, h.Canonical)
	}
	if len(h.JSONLD) > 0 {
		sep()
		dst = append(dst, `"jsonld":[`...)
		for i, v := range h.JSONLD {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONLD(dst, v)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// decidedTitle returns the title the pagelets decided (the last in
// document order that decided one), or the page's.
func decidedTitle(page *pagelet.Page, heads []*pagelet.Head) string {
	t := page.Title
	for _, h := range heads {
		if h.Title != "" {
			t = h.Title
		}
	}
	return t
}

// appendHeadTags writes, for a plain page's <head>, the meta tags,
// canonical link and JSON-LD the pagelets decided, in document order. A
// meta tag decided twice is written once, as the later decision has it,
// as the runtime would leave it; so is the canonical link.
func appendHeadTags(dst []byte, heads []*pagelet.Head) []byte {
	var metas []pagelet.Meta
	canonical := ""
	for _, h := range heads {
		metas = append(metas, h.Meta...)
		if h.Canonical != "" {
			canonical = h.Canonical
		}
	}
	for k, m := range metas {
		if slices.ContainsFunc(metas[k+1:], func(o pagelet.Meta) bool { return sameMeta(o, m) }) {
			continue
		}
		if m.Property != "" {
			dst = append(dst, `<meta property="`...)
			dst = appendHTMLEscaped(dst, m.Property)
		} else {
			dst = append(dst, `<meta name="`...)
			dst = appendHTMLEscaped(dst, m.Name)
		}
		dst = append(dst, `" content="`...)
		dst = appendHTMLEscaped(dst, m.Content)
		dst = append(dst, `">`...)
	}
	if canonical != "" {
		dst = append(dst, `<link rel="canonical" href="`...)
		dst = appendHTMLEscaped(dst, canonical)
		dst = append(dst, `">`...)
	}
	for _, h := range heads {
		for _, v := range h.JSONLD {
			dst = append(dst, `<script type="application/ld+json">`...)
			dst = appendJSONLD(dst, v)
			dst = append(dst, `</script>`...)
		}
	}
	return dst
}

// sameMeta reports whether a and b name the same tag: the same property,
// or, without one, the same name.
func sameMeta(a, b pagelet.Meta) bool {
	if a.Property != "" || b.Property != "" {
		return a.Property == b.Property
	}
	return a.Name == b.Name
}

// withoutDecided returns the page's own head markup without the tags the
// pagelets decided anew (a meta tag of the same name or property, the
// canonical link), which appendHeadTags writes instead: a plain page then
// says what the runtime leaves in a BigPipe page's head, where it updates
// those tags in place. The markup is the page's (templ escapes its text),
// so it tokenizes as written; what is dropped is whole tags.
func withoutDecided(markup []byte, heads []*pagelet.Head) []byte {
	canonical := slices.ContainsFunc(heads, func(h *pagelet.Head) bool { return h.Canonical != "" })
	decided := func(m pagelet.Meta) bool {
		for _, h := range heads {
			if slices.ContainsFunc(h.Meta, func(o pagelet.Meta) bool { return sameMeta(o, m) }) {
				return true
			}
		}
		return false
	}
	out := make([]byte, 0, len(markup))
	z := nethtml.NewTokenizer(bytes.NewReader(markup))
	for {
		tt := z.Next()
		if tt == nethtml.ErrorToken {
			return out
		}
		n := len(out)
		out = append(out, z.Raw()...) // before Token, which may change what Raw returned
		if tt != nethtml.StartTagToken && tt != nethtml.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		attr := func(k string) string {
			for _, a := range tok.Attr {
				if a.Key == k {
					return a.Val
				}
			}
			return ""
		}
		switch {
		case tok.Data == "meta" && (attr("name") != "" || attr("property") != "") &&
			decided(pagelet.Meta{Name: attr("name"), Property: attr("property")}):
			out = out[:n]
		case tok.Data == "link" && canonical && strings.EqualFold(attr("rel"), "canonical"):
			out = out[:n]
		}
	}
}
