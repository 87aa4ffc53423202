package pagelet_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
)

func load(context.Context) (templ.Component, error) { return templ.Raw("x"), nil }

func layout(pagelet.Slot) templ.Component { return templ.NopComponent }

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		page pagelet.Page
		want error
	}{
		{"ok", pagelet.Page{Layout: layout, Pagelets: []pagelet.Pagelet{{ID: "a", Load: load}, {ID: "b", Load: load}}}, nil},
		{"no pagelets", pagelet.Page{Layout: layout}, nil},
		{"no layout", pagelet.Page{Pagelets: []pagelet.Pagelet{{ID: "a", Load: load}}}, pagelet.ErrNoLayout},
		{"empty id", pagelet.Page{Layout: layout, Pagelets: []pagelet.Pagelet{{Load: load}}}, pagelet.ErrEmptyID},
		{"duplicate id", pagelet.Page{Layout: layout, Pagelets: []pagelet.Pagelet{{ID: "a", Load: load}, {ID: "a", Load: load}}}, pagelet.ErrDuplicateID},
		{"NUL in id", pagelet.Page{Layout: layout, Pagelets: []pagelet.Pagelet{{ID: "a\x00b", Load: load}}}, pagelet.ErrBadID},
		{"CR in id", pagelet.Page{Layout: layout, Pagelets: []pagelet.Pagelet{{ID: "a\r\n", Load: load}}}, pagelet.ErrBadID},
		{"invalid UTF-8 id", pagelet.Page{Layout: layout, Pagelets: []pagelet.Pagelet{{ID: "x\xe2\x82y", Load: load}}}, pagelet.ErrBadID},
		{"hostile but valid id", pagelet.Page{Layout: layout, Pagelets: []pagelet.Pagelet{{ID: `"></div><script>x</script>\u2028`, Load: load}}}, nil},
		{"no load", pagelet.Page{Layout: layout, Pagelets: []pagelet.Pagelet{{ID: "a"}}}, pagelet.ErrNoLoad},
		{"40 distinct ids", pagelet.Page{Layout: layout, Pagelets: numbered(40, -1)}, nil},
		{"duplicate id among 40", pagelet.Page{Layout: layout, Pagelets: numbered(40, 3)}, pagelet.ErrDuplicateID},
		{"duplicate id among 10", pagelet.Page{Layout: layout, Pagelets: numbered(10, 3)}, pagelet.ErrDuplicateID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.page.Validate(); !errors.Is(got, tc.want) {
				t.Errorf("Validate() = %v, want %v", got, tc.want)
			}
		})
	}
}

// numbered returns n pagelets p0, p1, …, the last with the id of pagelet
// dup instead when dup is not negative.
func numbered(n, dup int) []pagelet.Pagelet {
	pls := make([]pagelet.Pagelet, n)
	for i := range pls {
		pls[i] = pagelet.Pagelet{ID: "p" + strconv.Itoa(i), Load: load}
	}
	if dup >= 0 {
		pls[n-1].ID = pls[dup].ID
	}
	return pls
}

// TestValidateEvery shows that Validate reports every problem, not only
// the first: a page with three mistakes names all three.
func TestValidateEvery(t *testing.T) {
	page := pagelet.Page{Pagelets: []pagelet.Pagelet{{ID: "a", Load: load}, {ID: "a", Load: load}, {ID: "b"}}}
	err := page.Validate()
	for _, want := range []error{pagelet.ErrNoLayout, pagelet.ErrDuplicateID, pagelet.ErrNoLoad} {
		if !errors.Is(err, want) {
			t.Errorf("Validate() = %v, want it to wrap %v", err, want)
		}
	}
}

func TestEffectiveTimeout(t *testing.T) {
	for _, tc := range []struct{ set, want time.Duration }{{0, pagelet.DefaultTimeout}, {-1, pagelet.DefaultTimeout}, {time.Second, time.Second}} {
		p := pagelet.Pagelet{Timeout: tc.set}
		if got := p.EffectiveTimeout(); got != tc.want {
			t.Errorf("Timeout %v: EffectiveTimeout() = %v, want %v", tc.set, got, tc.want)
		}
	}
}

func TestFetch(t *testing.T) {
	errDown := errors.New("down")
	viewCalled := false
	view := func(n int) templ.Component { viewCalled = true; return templ.Raw("n") }

	l := pagelet.Fetch(func(context.Context) (int, error) { return 0, errDown }, view)
	if c, err := l(t.Context()); !errors.Is(err, errDown) || c != nil || viewCalled {
		t.Errorf("failed fetch: got %v, %v, view called %v", c, err, viewCalled)
	}

	l = pagelet.Fetch(func(context.Context) (int, error) { return 7, nil }, func(n int) templ.Component { return templ.Raw(string(rune('0' + n))) })
	c, err := l(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.Render(t.Context(), &buf); err != nil || buf.String() != "7" {
		t.Errorf("rendered %q, %v; want 7", buf.String(), err)
	}
}
