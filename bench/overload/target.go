package overload

// The server under load, as the clients see it: what they learnt from it
// before the load (articles, the form token, signed-in readers, a live
// grant), each kind of request and how its answer is judged, and the
// ledger of every post answered.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/internal/headless"
	"github.com/bigpipe-go/bigpipe/render"
)

// target is the server and what the clients know of it.
type target struct {
	addr     string   // host:port
	slugs    []string // articles
	client   string   // a dp_client cookie…
	token    string   // …and the form token it signs
	readers  []reader // signed-in readers, who message each other
	liveTok  string   // a live token granting an article's channels…
	liveSubs string   // …and the subs of its connect command (JSON object)
	seq      atomic.Int64
	ledger   *ledger
}

// reader is a signed-in reader: their account name and session cookie.
type reader struct{ name, session string }

// request sends one request of kind k (not kindLive) on a pooled
// connection and records how it ended in t.
func (s *target) request(t *tally, pool *connPool, k kind) {
	req, post := s.build(k)
	c, reused := pool.get()
	t0 := time.Now()
	res, err := c.Do(req)
	if err != nil && reused && errors.Is(err, measure.ErrNoAnswer) {
		// The server closed the kept-alive connection as it was taken
		// (the keep-alive race): retried on a new one, as browsers and
		// net/http do. A post is safe to send again: its submission id
		// makes it count once.
		c.Close()
		t.retry(k)
		c = pool.fresh()
		res, err = c.Do(req)
	}
	d := time.Since(t0)
	if err != nil {
		c.Close()
		s.ledger.note(post, postUnknown)
		t.add(k, failed, d, connReason(err))
		return
	}
	o, reason := judge(k, res.Status, res.RetryAfter, res.Body)
	pool.put(c) // res.Body is c's: judged first
	switch {
	case o == okWhole:
		s.ledger.note(post, postAnswered)
	case o == shed:
		s.ledger.note(post, postShed)
	default:
		s.ledger.note(post, postRefused)
	}
	t.add(k, o, d, reason)
}

// judge says how an answer of kind k ended: whole, shed (503 with
// Retry-After) or failed, and why it failed.
func judge(k kind, status int, retryAfter string, body []byte) (outcome, string) {
	switch {
	case status == 503 && retryAfter != "":
		return shed, ""
	case status == 503:
		return failed, "503 without Retry-After"
	}
	switch k {
	case kindHome, kindArticle:
		switch {
		case status != 200:
			return failed, fmt.Sprintf("status %d", status)
		case !bytes.HasSuffix(bytes.TrimRight(body, " \t\r\n"), []byte("</html>")):
			return failed, "a 200 page that does not end with </html>"
		case bytes.Contains(body, []byte("pl-fallback")):
			return okFallback, ""
		}
	case kindFragment:
		if status != 200 || !bytes.HasPrefix(body, []byte(`{"content":`)) {
			return failed, fmt.Sprintf("status %d %.80q", status, body)
		}
	case kindComment, kindMessage:
		if status != 200 && status != 201 {
			return failed, fmt.Sprintf("status %d %.120q", status, body)
		}
	}
	return okWhole, ""
}

// build is the request of kind k, and for a post what it posts.
func (s *target) build(k kind) ([]byte, *post) {
	slug := s.slugs[rand.IntN(len(s.slugs))]
	ip := clientIP()
	var b bytes.Buffer
	get := func(path string) []byte {
		fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nX-Forwarded-For: %s\r\n\r\n", path, s.addr, headless.ChromeUA, ip)
		return b.Bytes()
	}
	switch k {
	case kindHome:
		return get("/"), nil
	case kindArticle:
		return get("/article/" + slug), nil
	case kindFragment:
		return get("/article/" + slug + "?" + render.FragmentParam + "=comments"), nil
	}
	n := s.seq.Add(1)
	p := &post{id: fmt.Sprintf("overload-%d-%d", time.Now().UnixNano()%1e9, n)}
	form := url.Values{"_token": {s.token}, "_submission": {p.id}}
	cookie := "dp_client=" + s.client
	var path string
	if k == kindComment {
		p.slug = slug
		path = "/article/" + slug + "/comments"
		form.Set("name", "Overload "+strconv.FormatInt(n, 10))
		form.Set("text", "Comment "+p.id+" from the overload bench.")
	} else {
		i := rand.IntN(len(s.readers))
		j := (i + 1 + rand.IntN(len(s.readers)-1)) % len(s.readers)
		p.from, p.to = s.readers[i].name, s.readers[j].name
		path = "/messages/" + url.PathEscape(p.to)
		cookie += "; dp_session=" + s.readers[i].session
		form.Set("text", "Message "+p.id+" from the overload bench.")
	}
	body := form.Encode()
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nX-Forwarded-For: %s\r\nAccept: application/json\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nCookie: %s\r\n\r\n%s",
		path, s.addr, headless.ChromeUA, ip, len(body), cookie, body)
	return b.Bytes(), p
}

// post is one comment (slug set) or message (from and to set).
type post struct {
	id, slug, from, to string
}

// postState is what the client knows of a post.
type postState int

const (
	postAnswered postState = iota // 2xx: it must be stored, once
	postShed                      // 503 with Retry-After: it must not be stored
	postRefused                   // another answer
	postUnknown                   // no answer: stored or not
)

// ledger is every post made, by what its answer said.
type ledger struct {
	mu    sync.Mutex
	posts map[postState][]*post
}

func newLedger() *ledger { return &ledger{posts: map[postState][]*post{}} }

func (l *ledger) note(p *post, st postState) {
	if p == nil {
		return
	}
	l.mu.Lock()
	l.posts[st] = append(l.posts[st], p)
	l.mu.Unlock()
}

// live opens one live connection over SSE with the article's grant,
// holds it for hold and closes it, and records how it went in t.
func (s *target) live(ctx context.Context, t *tally, hold time.Duration) {
	t0 := time.Now()
	o, reason := holdLive(ctx, s.addr, s.connectCommand(), clientIP(), hold)
	t.add(kindLive, o, time.Since(t0), reason)
}

// connectCommand is the connect command of the page's client.
func (s *target) connectCommand() string {
	return `{"id":1,"connect":{"token":` + strconv.Quote(s.liveTok) + `,"name":"bigpipe","subs":` + s.liveSubs + `}}`
}

// connReason names how a connection failed, without its addresses, so
// that the failures of one kind add up.
func connReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.EPIPE):
		return "connection: broken pipe"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection: reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection: refused"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection: closed (EOF)"
	case errors.As(err, &ne) && ne.Timeout():
		return "connection: timeout"
	}
	return "connection: " + err.Error()
}
