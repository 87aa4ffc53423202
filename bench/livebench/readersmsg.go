package livebench

// A message posted → visible in the recipient's tab on another instance,
// through Redis, in headless Chromium: the recipient's page (inboxPath,
// rendered for reader readerRecipient by instance B, its live pagelet on
// their private channel) is open; the bench posts each message to
// instance A (POST messagePath?to=…: no store, PublishTo the recipient),
// with its own clock just before the POST in the message; the page's probe
// (livebrowser.go) reports when the message's element is in the document.
// Beside it, the same through socket.io (socketio.go): the same probe,
// messages, posts and counts.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// readerRecipient is the reader the messages are for.
const readerRecipient = "rcpt"

// ReadersMessages is messages posted → visible, ours and socket.io's.
type ReadersMessages struct {
	Messages        int          `json:"messages"`
	Skipped         string       `json:"skipped,omitempty"` // why nothing was measured
	BigPipe         *LiveVisible `json:"bigpipe,omitempty"`
	SocketIO        *LiveVisible `json:"socketio,omitempty"`
	SocketIOSkipped string       `json:"socketio_skipped,omitempty"`
	SocketIOVersion string       `json:"socketio_version,omitempty"`
	P50Ratio        float64      `json:"p50_ratio,omitempty"` // ours over socket.io's
	P99Ratio        float64      `json:"p99_ratio,omitempty"`
}

// ratios sets the ratios of ours to socket.io's, when both were measured.
func (m *ReadersMessages) ratios() {
	if m == nil || m.BigPipe == nil || m.SocketIO == nil {
		return
	}
	m.P50Ratio = ratio(float64(m.BigPipe.P50), float64(m.SocketIO.P50))
	m.P99Ratio = ratio(float64(m.BigPipe.P99), float64(m.SocketIO.P99))
}

// bigpipeVisible measures messages posted to srvs[0] (A) → visible in the
// recipient's page on srvs[1] (B).
func bigpipeVisible(ctx context.Context, rig liveRig, srvs []*liveServer, n int) (*LiveVisible, error) {
	path, err := measure.ChromiumPath()
	if err != nil {
		return nil, err
	}
	page := "http://" + srvs[1].addr + inboxPath + "?reader=" + readerRecipient
	post := "http://" + srvs[0].addr + messagePath + "?to=" + readerRecipient
	return liveVisibleOn(ctx, visibleRun{path: path, transport: readersTransport, pubs: n, page: page,
		publish:  poster(srvs[0].client, post),
		progress: func(s string) { rig.progress("readers: message posted on A → visible on B: " + s) }})
}

// poster returns what posts message seq to base (a URL with its query's
// recipient), with the bench's clock just before the POST.
func poster(client *http.Client, base string) func(ctx context.Context, seq int) error {
	return func(ctx context.Context, seq int) error {
		u := fmt.Sprintf("%s&seq=%d&sent=%d", base, seq, time.Now().UnixNano())
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("post %s: %w", redact(u), err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		if resp.StatusCode != http.StatusNoContent {
			return fmt.Errorf("post %s: %s: %s", redact(u), resp.Status, b)
		}
		return nil
	}
}

// redact is u without its query, for errors.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.RawQuery = ""
	return p.String()
}
