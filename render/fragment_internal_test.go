package render

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzAppendFragment checks that a fragment (a live publication, or the
// fragment endpoint's answer) is always valid UTF-8 JSON with nothing that
// could end a script or a string in old engines ('<', U+2028, U+2029, a
// line break), and that every field decodes back to what a browser makes
// of it.
func FuzzAppendFragment(f *testing.F) {
	for _, s := range hostile {
		f.Add(s, s, s, s, s, s, s, s, uint64(7), int8(1))
	}
	f.Add("scores", "<p>2–1</p>", "/static/s.css", "c-1", "comments:a", "ISVixkCt", "tok.sig", "", uint64(0), int8(0))
	f.Add("", "<li>edited</li>", "", "c-1", "", "", "", "replace", uint64(3), int8(1))
	f.Add("", "", "", "c-1", "", "", "", "remove", uint64(0), int8(-1))
	f.Fuzz(func(t *testing.T, id, content, css, key, channel, epoch, token, op string, offset uint64, pin int8) {
		in := Fragment{ID: id, Content: []byte(content), CSS: []string{css, css}, Key: key, Channel: channel,
			Live: &LivePosition{Kind: "stream", Offset: offset, Epoch: epoch}, Token: token, Op: op, Order: offset}
		if pin != 0 {
			p := pin > 0
			in.Pin = &p
		}
		out := AppendFragment(nil, &in)
		checkScriptSafe(t, "fragment", out)
		if !utf8.Valid(out) || !json.Valid(out) {
			t.Fatalf("fragment is not valid UTF-8 JSON: %q", out)
		}
		var got struct {
			Content, ID, Key, Token, Op string
			CSS                         []string
			Order                       uint64
			Pin                         *bool
			Live                        struct {
				Channel, Kind, Epoch string
				Offset               uint64
			}
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ name, got, want string }{
			{"content", got.Content, content}, {"id", got.ID, id}, {"key", got.Key, key}, {"token", got.Token, token}, {"op", got.Op, op},
			{"css", got.CSS[1], css}, {"channel", got.Live.Channel, channel}, {"epoch", got.Live.Epoch, epoch},
		} {
			if want := viaJSON(t, c.want); c.got != want {
				t.Errorf("%s round-trip: got %q, want %q", c.name, c.got, want)
			}
		}
		if (got.Pin == nil) != (in.Pin == nil) || got.Pin != nil && *got.Pin != *in.Pin || got.Order != offset {
			t.Errorf("pin %v, order %d: want %v, %d", got.Pin, got.Order, in.Pin, offset)
		}
		if got.Live.Offset != offset || got.Live.Kind != "stream" || len(got.CSS) != 2 {
			t.Errorf("live %+v, css %q", got.Live, got.CSS)
		}
	})
}
