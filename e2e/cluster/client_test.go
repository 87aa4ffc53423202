package cluster_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// articleLink matches a link to an article.
var articleLink = regexp.MustCompile(`href="/article/([a-z0-9-]+)"`)

// articleSlug returns the slug of the first article the instance's front
// page links to.
func articleSlug(t *testing.T, in *instance) string {
	t.Helper()
	status, body, err := get(plainClient, in.base()+"/")
	if err != nil || status != http.StatusOK {
		t.Fatalf("GET %s/: %d %v", in.base(), status, err)
	}
	m := articleLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the front page links to no article")
	}
	return m[1]
}

// poster posts comments on one article as one reader: the comment form's
// cookie and CSRF token, fetched once from one instance, are good on every
// instance (they share the secret). Each comment comes from a loopback
// address of its own (127.0.x.y), so that the site's per-address rate of
// comments, meant for people, does not slow the test down.
type poster struct {
	slug, cookie, csrf, prefix string
	text                       string // each comment's text after its number; "" for none

	mu     sync.Mutex
	n      int
	posted []string // ids, in the order the site accepted them
}

var csrfField = regexp.MustCompile(`name="_token" value="([^"]+)"`)

func newPoster(t *testing.T, in *instance, slug string) *poster {
	t.Helper()
	resp, err := plainClient.Get(in.base() + "/article/" + slug)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(body)
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == "dp_client" {
			cookie = c.Value
		}
	}
	if m == nil || cookie == "" {
		t.Fatalf("GET /article/%s: no comment form (csrf %v, cookie %q)", slug, m != nil, cookie)
	}
	return &poster{slug: slug, cookie: cookie, csrf: string(m[1]), prefix: "c" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)}
}

// post posts the next comment through base (an instance, directly) and
// returns its id once the site has stored it (201).
func (p *poster) post(t *testing.T, base string) string {
	t.Helper()
	id, err := p.tryPost(base)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// tryPost is post returning its failure.
func (p *poster) tryPost(base string) (string, error) {
	p.mu.Lock()
	p.n++
	n := p.n
	p.mu.Unlock()
	id := fmt.Sprintf("%s-%03d", p.prefix, n)
	form := url.Values{"_token": {p.csrf}, "_submission": {id}, "name": {"Reader " + strconv.Itoa(n)}, "text": {"Comment number " + strconv.Itoa(n) + ". " + p.text}}
	local := &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+n/250), byte(1+n%250))}
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
		DialContext:       (&net.Dialer{LocalAddr: local, Timeout: 2 * time.Second}).DialContext,
		DisableKeepAlives: true,
	}}
	req, err := http.NewRequest("POST", base+"/article/"+p.slug+"/comments", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Cookie", "dp_client="+p.cookie)
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("post comment %s through %s: %w", id, base, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("post comment %s through %s: %d %s", id, base, resp.StatusCode, body)
	}
	p.mu.Lock()
	p.posted = append(p.posted, id)
	p.mu.Unlock()
	return id, nil
}

// ids returns the ids of the comments posted so far, in order.
func (p *poster) ids() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.posted...)
}

// publishBreaking publishes headline through the instance's admin
// endpoint.
func publishBreaking(t *testing.T, in *instance, headline string) {
	t.Helper()
	if err := tryPublishBreaking(in, headline); err != nil {
		t.Fatal(err)
	}
}

func tryPublishBreaking(in *instance, headline string) error {
	resp, err := plainClient.PostForm(in.adminBase()+"/admin/breaking", url.Values{"headline": {headline}})
	if err != nil {
		return fmt.Errorf("publish a headline through instance %s: %w", in.name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("publish a headline through instance %s: %d %s", in.name, resp.StatusCode, body)
	}
	return nil
}

// position is a live channel's stream position.
type position struct {
	Offset uint64 `json:"offset"`
	Epoch  string `json:"epoch"`
}

// grant is what a raw live client needs to connect: the endpoint, the
// token and the position of the article's comments channel, as the page
// hands them to its live client.
type grant struct {
	url, token, channel string
	pos                 position
}

var (
	setupLive   = regexp.MustCompile(`"live":\{"src":"[^"]*","url":"([^"]+)","token":"([^"]+)"`)
	pageletLive = regexp.MustCompile(`"live":\{"channel":"([^"]+)","kind":"stream","offset":(\d+),"epoch":"([^"]*)"\}`)
)

// articleGrant loads the article from base as a browser would and reads
// its live grant and its comments pagelet's position from the page.
func articleGrant(t *testing.T, base, slug string) grant {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/article/"+slug, nil)
	req.Header.Set("User-Agent", chromeUA)
	resp, err := plainClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	s, p := setupLive.FindSubmatch(body), pageletLive.FindSubmatch(body)
	if s == nil || p == nil {
		t.Fatalf("GET %s/article/%s: no live grant (%v) or live comments pagelet (%v) in the page", base, slug, s != nil, p != nil)
	}
	off, _ := strconv.ParseUint(string(p[2]), 10, 64)
	return grant{url: string(s[1]), token: string(s[2]), channel: string(p[1]), pos: position{off, string(p[3])}}
}

// connectURL is the SSE connect URL of g's channel, resuming after pos.
func (g grant) connectURL(base string, pos position) string {
	cmd, _ := json.Marshal(map[string]any{"id": 1, "connect": map[string]any{
		"token": g.token, "name": "cluster-test",
		"subs": map[string]any{g.channel: map[string]any{"recover": true, "offset": pos.Offset, "epoch": pos.Epoch}},
	}})
	return base + g.url + "sse?cf_connect=" + url.QueryEscape(string(cmd))
}

// publication is one publication a raw client received.
type publication struct {
	Offset uint64 `json:"offset"`
	Data   struct {
		Key string `json:"key"`
	} `json:"data"`
}

// sseClient is a raw SSE live client, as any Centrifuge SDK could be.
type sseClient struct {
	resp      *http.Response
	cancel    context.CancelFunc
	recovered bool
	pos       position      // the reply's, then the last publication's offset
	pubs      []publication // the recovered ones, then pushes
	lines     chan []byte
	done      chan struct{}
}

// dialSSE connects to the SSE endpoint of base with g, resuming after
// pos, and reads the connect reply.
func dialSSE(t *testing.T, base string, g grant, pos position) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, "GET", g.connectURL(base, pos), nil)
	req.Header.Set("User-Agent", chromeUA)
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		cancel()
		t.Fatalf("SSE connect to %s: %v", base, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		t.Fatalf("SSE connect to %s: %s", base, resp.Status)
	}
	c := &sseClient{resp: resp, cancel: cancel, pos: pos, lines: make(chan []byte, 64), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer close(c.lines)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				select {
				case c.lines <- []byte(data):
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	t.Cleanup(c.close)
	var reply struct {
		ID      int `json:"id"`
		Error   any `json:"error"`
		Connect struct {
			Subs map[string]struct {
				Recovered    bool          `json:"recovered"`
				Offset       uint64        `json:"offset"`
				Epoch        string        `json:"epoch"`
				Publications []publication `json:"publications"`
			} `json:"subs"`
		} `json:"connect"`
	}
	line, err := c.next(10 * time.Second)
	if err != nil {
		t.Fatalf("SSE connect to %s: %v", base, err)
	}
	if err := json.Unmarshal(line, &reply); err != nil || reply.ID != 1 || reply.Error != nil {
		t.Fatalf("SSE connect to %s: reply %s (%v)", base, line, err)
	}
	sub, ok := reply.Connect.Subs[g.channel]
	if !ok {
		t.Fatalf("SSE connect to %s: not subscribed to %s: %s", base, g.channel, line)
	}
	c.recovered, c.pubs = sub.Recovered, sub.Publications
	c.pos = position{sub.Offset, sub.Epoch}
	for _, p := range c.pubs {
		c.pos.Offset = max(c.pos.Offset, p.Offset)
	}
	return c
}

// next returns the next data line, waiting up to d.
func (c *sseClient) next(d time.Duration) ([]byte, error) {
	select {
	case line, ok := <-c.lines:
		if !ok {
			return nil, io.EOF
		}
		return line, nil
	case <-time.After(d):
		return nil, fmt.Errorf("nothing within %v", d)
	}
}

// waitPubs reads pushes until n publications have come (recovered ones
// included), or d passes.
func (c *sseClient) waitPubs(t *testing.T, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for len(c.pubs) < n {
		line, err := c.next(time.Until(deadline))
		if err != nil {
			t.Fatalf("raw client: %d publications of %d: %v", len(c.pubs), n, err)
		}
		var m struct {
			Push struct {
				Pub *publication `json:"pub"`
			} `json:"push"`
		}
		if json.Unmarshal(line, &m) == nil && m.Push.Pub != nil {
			c.pubs = append(c.pubs, *m.Push.Pub)
			c.pos.Offset = max(c.pos.Offset, m.Push.Pub.Offset)
		}
	}
}

// keys returns the keys of the publications received, in order.
func (c *sseClient) keys() []string {
	var k []string
	for _, p := range c.pubs {
		k = append(k, p.Data.Key)
	}
	return k
}

// close drops the connection and waits for its reader to end.
func (c *sseClient) close() {
	c.cancel()
	c.resp.Body.Close()
	for range c.lines { // let the reader see the end
	}
	<-c.done
}
