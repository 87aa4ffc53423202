package livebench

import (
	"strings"
	"testing"
	"time"
)

func TestLiveConnectReply(t *testing.T) {
	for _, tc := range []struct {
		name      string
		msg       string
		nilReply  bool
		err       string
		recovered bool
		pubs      int
		offset    uint64
	}{
		{name: "recovered", msg: `{"id":1,"connect":{"client":"x","subs":{"benchs:storm":{"recoverable":true,"epoch":"e","offset":7,"publications":[{"data":{"content":"<p data-seq=\"6\">"},"offset":6},{"data":{"content":"<p data-seq=\"7\">"},"offset":7}],"recovered":true}}}}`,
			recovered: true, pubs: 2, offset: 7},
		{name: "not recovered", msg: `{"id":1,"connect":{"subs":{"benchs:storm":{"epoch":"f","offset":9}}}}`, offset: 9},
		{name: "a ping first", msg: `{}`, nilReply: true},
		{name: "refused", msg: `{"id":1,"error":{"code":103,"message":"permission denied"}}`, err: "connect refused: 103"},
		{name: "disconnected", msg: `{"disconnect":{"code":3001,"reason":"shutdown"}}`, err: "3001 shutdown"},
		{name: "another channel", msg: `{"id":1,"connect":{"subs":{"bench:fan":{}}}}`, err: "without a subscription"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseLiveConnectReply([]byte(tc.msg), liveStormChan)
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("err = %v, want %q", err, tc.err)
				}
			case err != nil:
				t.Errorf("err = %v", err)
			case tc.nilReply:
				if r != nil {
					t.Errorf("reply = %+v, want none", r)
				}
			case r == nil || r.Recovered != tc.recovered || len(r.Publications) != tc.pubs || r.Offset != tc.offset:
				t.Errorf("reply = %+v, want recovered %v, %d publications, offset %d", r, tc.recovered, tc.pubs, tc.offset)
			}
		})
	}
}

func TestLiveReconnects(t *testing.T) {
	for code, want := range map[int]bool{0: true, 111: true, 3001: true, 3005: true, 3499: true, 101: false, 2999: false, 3500: false, 3999: false, 4000: true, 4500: false, 5000: true} {
		if got := liveReconnects(code); got != want {
			t.Errorf("liveReconnects(%d) = %v, want %v", code, got, want)
		}
	}
	for n := range 10 {
		if d := liveBackoff(n); d < 0 || d > 20*time.Second || n == 0 && d > 500*time.Millisecond {
			t.Errorf("liveBackoff(%d) = %v", n, d)
		}
	}
}
