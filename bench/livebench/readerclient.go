package livebench

// The load client's signed-in readers (liveClientConfig.Reader): each
// connection is a reader of its own, asks the server for its page's grant
// (GET /_bench/reader?id=…: eng.Grant with that reader in the context, the
// token bound to them, and their private channel's position), connects
// with it, and notes when each publication on its channel arrives, for the
// bench to read with the "receipts" command:
//
//	"receipts"  "receipts <n> <µs from the publication's data-sent to its receipt>…",
//	            the receipts since the last such command

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// readerGrantConns bounds the HTTP connections one client process keeps
// to ask for grants: they take file descriptors of the server's.
const readerGrantConns = 8

// readerReceipts is a client process's readers: the client that asks for
// their grants, and the receipts on their channels not yet taken.
type readerReceipts struct {
	once   sync.Once
	client *http.Client

	mu   sync.Mutex
	lats []int64 // µs
}

// http returns the client that asks for grants, made on first use.
func (r *readerReceipts) http() *http.Client {
	r.once.Do(func() {
		r.client = &http.Client{Timeout: liveConnectTimeout, Transport: &http.Transport{
			MaxConnsPerHost: readerGrantConns, MaxIdleConnsPerHost: readerGrantConns}}
	})
	return r.client
}

// closeIdle closes the grant connections once every connection is open.
func (r *readerReceipts) closeIdle() {
	if r.client != nil {
		r.client.CloseIdleConnections()
	}
}

// received notes a publication with content received at now (unix ns).
func (r *readerReceipts) received(content string, now int64) {
	sent, ok := liveContentInt(content, "data-sent")
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lats = append(r.lats, (now-sent)/int64(time.Microsecond))
}

// take returns the "receipts" answer and forgets what it lists.
func (r *readerReceipts) take() string {
	r.mu.Lock()
	lats := r.lats
	r.lats = nil
	r.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "receipts %d", len(lats))
	for _, l := range lats {
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(l, 10))
	}
	return b.String()
}

// parseReceipts reads a "receipts" answer's fields into durations.
func parseReceipts(f []string) ([]time.Duration, error) {
	if len(f) < 2 || f[0] != "receipts" {
		return nil, fmt.Errorf("receipts: %q", strings.Join(f, " "))
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n != len(f)-2 {
		return nil, fmt.Errorf("receipts: count %q for %d values", f[1], len(f)-2)
	}
	out := make([]time.Duration, 0, n)
	for _, s := range f[2:] {
		us, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("receipts: %q: %w", s, err)
		}
		out = append(out, time.Duration(us)*time.Microsecond)
	}
	return out, nil
}

// readerID is the id of the reader of connection i of a process whose
// readers start at first.
func readerID(prefix string, first, i int) string { return prefix + strconv.Itoa(first+i) }

// readerGrant asks the server connection i goes to for its reader's grant.
func (st *liveClientState) readerGrant(ctx context.Context, i int) (liveGrant, error) {
	addr := st.cfg.Addr
	if len(st.cfg.Addrs) > 0 {
		addr = st.cfg.Addrs[i%len(st.cfg.Addrs)]
	}
	u := "http://" + addr + readerGrantPath + "?id=" + url.QueryEscape(readerID(st.cfg.Reader, st.cfg.First, i))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return liveGrant{}, err
	}
	resp, err := st.readers.http().Do(req)
	if err != nil {
		return liveGrant{}, fmt.Errorf("reader grant: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return liveGrant{}, fmt.Errorf("reader grant: %s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	var g liveGrant
	if err := json.NewDecoder(resp.Body).Decode(&g); err != nil {
		return liveGrant{}, fmt.Errorf("reader grant: %w", err)
	}
	if g.Channel == "" || g.Token == "" {
		return liveGrant{}, fmt.Errorf("reader grant without a channel or token: %+v", g)
	}
	return g, nil
}

// liveContentInt reads attr="N" (a whole number) from a publication's
// content.
func liveContentInt(content, attr string) (int64, bool) {
	_, rest, ok := strings.Cut(content, " "+attr+`="`)
	if !ok {
		return 0, false
	}
	num, _, ok := strings.Cut(rest, `"`)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(num, 10, 64)
	return n, err == nil
}
