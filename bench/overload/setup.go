package overload

// What the clients learn from the server before the load, as a browser
// would: the articles, a client cookie and its form token, readers signed
// up (who message each other) and an article page's live grant.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/headless"
)

var (
	// In the skeleton, or inside a pagelet's payload as a JSON string.
	articleLink = regexp.MustCompile(`href=\\?"/article/([a-z0-9-]+)\\?"`)
	tokenField  = regexp.MustCompile(`name=\\?"_token\\?" value=\\?"([^"\\]+)`)
	subField    = regexp.MustCompile(`name=\\?"_submission\\?" value=\\?"([^"\\]+)`)
	liveToken   = regexp.MustCompile(`"live":\{"src":"[^"]*","url":"[^"]*","token":"([^"]+)"`)
	livePos     = regexp.MustCompile(`"live":\{"channel":"([^"]+)","kind":"[a-z]+","offset":(\d+),"epoch":"([^"]*)"\}`)
)

// discover learns what the clients need from the server at addr, signing
// up readers new readers (named after prefix).
func discover(ctx context.Context, addr string, readers int, prefix string) (*target, error) {
	s := &target{addr: addr, ledger: newLedger()}
	base := "http://" + addr
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer c.CloseIdleConnections()
	// The front page's stories, from its first whole rendering (a
	// pagelet's first load may time out into its fallback on a busy
	// machine).
	for try := 0; len(s.slugs) == 0; try++ {
		home, err := fetch(ctx, c, base+"/")
		if err != nil {
			return nil, err
		}
		for _, m := range articleLink.FindAllStringSubmatch(home, -1) {
			if !slices.Contains(s.slugs, m[1]) {
				s.slugs = append(s.slugs, m[1])
			}
		}
		if len(s.slugs) == 0 && (try == 20 || !sleep(ctx, 500*time.Millisecond)) {
			return nil, fmt.Errorf("overload: no article linked from the front page (%d bytes, fallback shown: %v)", len(home), strings.Contains(home, "pl-fallback"))
		}
	}
	art, err := fetch(ctx, c, base+"/article/"+s.slugs[0])
	if err != nil {
		return nil, err
	}
	tok := tokenField.FindStringSubmatch(art)
	u, _ := url.Parse(base)
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "dp_client" {
			s.client = ck.Value
		}
	}
	if tok == nil || s.client == "" {
		return nil, errors.New("overload: the article page has no comment form token, or set no dp_client cookie")
	}
	s.token = tok[1]
	lt := liveToken.FindStringSubmatch(art)
	if lt == nil {
		return nil, errors.New("overload: the article page has no live grant")
	}
	s.liveTok = lt[1]
	var subs []string
	for _, m := range livePos.FindAllStringSubmatch(art, -1) {
		subs = append(subs, fmt.Sprintf(`%s:{"recover":true,"offset":%s,"epoch":%s}`, strconv.Quote(m[1]), m[2], strconv.Quote(m[3])))
	}
	s.liveSubs = "{" + strings.Join(subs, ",") + "}"
	for i := range readers {
		r, err := signUp(ctx, base, fmt.Sprintf("%s%d", prefix, i))
		if err != nil {
			return nil, err
		}
		s.readers = append(s.readers, r)
	}
	return s, nil
}

// fetch GETs u as Chromium and returns the body of its 200.
func fetch(ctx context.Context, c *http.Client, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("User-Agent", headless.ChromeUA)
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("overload: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %d", resp.StatusCode)
	}
	if err != nil {
		return "", fmt.Errorf("overload: GET %s: %w", u, err)
	}
	return string(b), nil
}

// signUp makes the account name on base, as e2e/cluster does, and returns
// its session.
func signUp(ctx context.Context, base, name string) (reader, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer c.CloseIdleConnections()
	page, err := fetch(ctx, c, base+"/account/signup")
	if err != nil {
		return reader{}, err
	}
	tok, sub := tokenField.FindStringSubmatch(page), subField.FindStringSubmatch(page)
	if tok == nil || sub == nil {
		return reader{}, errors.New("overload: the sign-up page has no form fields")
	}
	form := url.Values{"_token": {tok[1]}, "_submission": {sub[1]}, "name": {name},
		"password": {"correct horse battery " + name}, "next": {"/"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/account/signup", strings.NewReader(form.Encode()))
	if err != nil {
		return reader{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return reader{}, fmt.Errorf("overload: sign up %s: %w", name, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return reader{}, fmt.Errorf("overload: sign up %s: status %d", name, resp.StatusCode)
	}
	u, _ := url.Parse(base)
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "dp_session" {
			return reader{name: name, session: ck.Value}, nil
		}
	}
	return reader{}, fmt.Errorf("overload: sign-up of %s set no session cookie", name)
}
