package live

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

func TestPublishedAt(t *testing.T) {
	sent := time.Now().UnixNano()
	tag := strconv.FormatInt(sent, 10)
	for _, tc := range []struct {
		name string
		data string
		want int64
		ok   bool
	}{
		{"a push", `{"push":{"channel":"scores","pub":{"data":{"content":"x"},"offset":3,"tags":{"bp.t":"` + tag + `"}}}}`, sent, true},
		{"no tags", `{"push":{"channel":"scores","pub":{"data":{"content":"x"},"offset":3}}}`, 0, false},
		// Published content is JSON in the data, its quotes escaped: a
		// look-alike there is not the tag.
		{"content that looks like the tag", `{"push":{"pub":{"data":{"content":"\"bp.t\":\"5\""}}}}`, 0, false},
		{"cut short", `{"push":{"pub":{"tags":{"bp.t":"123`, 0, false},
		{"not a number", `{"push":{"pub":{"tags":{"bp.t":"soon"}}}}`, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := publishedAt([]byte(tc.data))
			if got != tc.want || ok != tc.ok {
				t.Errorf("publishedAt = %d, %v; want %d, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzPublishedAt(f *testing.F) {
	f.Add(`{"push":{"pub":{"tags":{"bp.t":"1796000000000000000"}}}}`, "<script>")
	f.Fuzz(func(t *testing.T, data, content string) {
		if n, ok := publishedAt([]byte(data)); ok && n <= 0 {
			t.Fatalf("ok with %d", n)
		}
		// Content, however hostile, JSON-encoded as a publication's data
		// is, never yields a tag of its own.
		enc, _ := json.Marshal(map[string]string{"content": content})
		if _, ok := publishedAt(enc); ok {
			t.Fatalf("a tag read out of content %q", content)
		}
	})
}
