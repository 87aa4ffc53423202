package store_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

func TestParseLatency(t *testing.T) {
	tests := []struct {
		spec    string
		want    map[string]time.Duration
		wantErr bool
	}{
		{"", map[string]time.Duration{}, false},
		{"   ", map[string]time.Duration{}, false},
		{"hotnews=200ms", map[string]time.Duration{"hotnews": 200 * time.Millisecond}, false},
		{"hotnews=200ms,finance=1.5s", map[string]time.Duration{"hotnews": 200 * time.Millisecond, "finance": 1500 * time.Millisecond}, false},
		{" hotnews = 200ms , *=1s ", map[string]time.Duration{"hotnews": 200 * time.Millisecond, "*": time.Second}, false},
		{"tech=0", map[string]time.Duration{"tech": 0}, false},
		{"hotnews", nil, true},
		{"hotnews=", nil, true},
		{"=200ms", nil, true},
		{"hotnews=fast", nil, true},
		{"hotnews=200", nil, true},
		{"hotnews=-1s", nil, true},
		{"hotnews=1s,hotnews=2s", nil, true},
		{"hotnews=1s,", nil, true},
		{"hot news=1s", nil, true},
		{"<script>=1s", nil, true},
		{"a=1s=2s", nil, true},
		{"finanse=1s", nil, true},
		{"hotnews=1s,weathr=2s", nil, true},
		{"Finance=1s", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := store.ParseLatency(tc.spec)
			if tc.wantErr {
				if !errors.Is(err, store.ErrBadLatency) {
					t.Fatalf("ParseLatency(%q) error = %v, want ErrBadLatency", tc.spec, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseLatency(%q): %v", tc.spec, err)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("ParseLatency(%q) = %v, want %v", tc.spec, got, tc.want)
			}
		})
	}
}

func FuzzParseLatency(f *testing.F) {
	for _, s := range []string{"", "hotnews=200ms,finance=1.5s", "*=1s", "a=-1s", "a=1s,a=2s", "=", ",", "\xff=1s", "x=9999999999h", "weather=9999999999h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := store.ParseLatency(spec)
		if err != nil {
			if !errors.Is(err, store.ErrBadLatency) {
				t.Fatalf("error %v does not wrap ErrBadLatency", err)
			}
			return
		}
		// Round trip: formatting the result and parsing it again is lossless.
		for k, d := range got {
			if d < 0 || (k != store.AnySource && !slices.Contains(store.Sources(), k)) {
				t.Fatalf("accepted bad entry %q=%v", k, d)
			}
		}
		again, err := store.ParseLatency(store.FormatLatency(got))
		if err != nil || !maps.Equal(got, again) {
			t.Fatalf("round trip of %v = %v, %v", got, again, err)
		}
	})
}

func TestSourcesParse(t *testing.T) {
	for _, src := range append(store.Sources(), store.AnySource) {
		got, err := store.ParseLatency(src + "=1s")
		if err != nil || got[src] != time.Second {
			t.Errorf("ParseLatency(%q) = %v, %v", src+"=1s", got, err)
		}
	}
}

// TestUnknownSourceListsKnown checks that a misspelt source is rejected
// with the names that would have worked.
func TestUnknownSourceListsKnown(t *testing.T) {
	_, err := store.ParseLatency("hotnews=1s,finanse=2s")
	if !errors.Is(err, store.ErrBadLatency) {
		t.Fatalf("error = %v, want ErrBadLatency", err)
	}
	for _, want := range append(store.Sources(), `"finanse"`, store.AnySource) {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestFormatLatency(t *testing.T) {
	for _, tc := range []struct {
		in   map[string]time.Duration
		want string
	}{
		{nil, ""},
		{map[string]time.Duration{"finance": 1500 * time.Millisecond}, "finance=1.5s"},
		{map[string]time.Duration{"*": time.Second, "tech": 0, "finance": 2 * time.Second}, "finance=2s,tech=0s,*=1s"},
	} {
		if got := store.FormatLatency(tc.in); got != tc.want {
			t.Errorf("FormatLatency(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestCalls: each read of a source's backend counts once against it;
// Headline, the fast index lookup, counts against none.
func TestCalls(t *testing.T) {
	st := openTemp(t)
	ctx := t.Context()
	for range 2 {
		if _, err := st.Section(ctx, "tech", 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Weather(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.MostRead(ctx, 1); err != nil {
		t.Fatal(err)
	}
	top, err := st.Section(ctx, "hotnews", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Headline(ctx, top[0].Slug); err != nil {
		t.Fatal(err)
	}
	for src, want := range map[string]uint64{"tech": 2, store.SourceWeather: 1, store.SourceMostRead: 1, "hotnews": 1, store.SourceArticle: 0, "society": 0, "nope": 0} {
		if got := st.Calls(src); got != want {
			t.Errorf("Calls(%q) = %d, want %d", src, got, want)
		}
	}
}
