package scale

// What the front page hands its live client, read from the page as a
// browser gets it: the endpoint, the token and each channel's position.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"

	"github.com/bigpipe-go/bigpipe/internal/headless"
)

// Grant is the front page's live grant: what live/live.js connects with.
type Grant struct {
	URL      string              `json:"url"`   // the endpoints' path, such as /_live/
	Token    string              `json:"token"` // the page's token
	Channels map[string]Position `json:"channels"`
}

// Position is a channel's stream position as the page embeds it.
type Position struct {
	Offset uint64 `json:"offset"`
	Epoch  string `json:"epoch"`
}

var (
	setupLive   = regexp.MustCompile(`"live":\{"src":"[^"]*","url":"([^"]+)","token":"([^"]+)"`)
	pageletLive = regexp.MustCompile(`"live":\{"channel":"([^"]+)","kind":"[a-z]+","offset":(\d+),"epoch":"([^"]*)"\}`)
)

// frontGrant loads the front page of base as Chrome would and reads its
// live grant.
func frontGrant(ctx context.Context, base string) (Grant, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
	if err != nil {
		return Grant{}, err
	}
	req.Header.Set("User-Agent", headless.ChromeUA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Grant{}, fmt.Errorf("front page: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Grant{}, fmt.Errorf("front page: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Grant{}, fmt.Errorf("front page: %s", resp.Status)
	}
	return parseGrant(body)
}

// parseGrant reads the grant from a page: the setup's "live" member and
// every live pagelet's; a channel shown by several pagelets connects from
// the lowest of their offsets, as the client does.
func parseGrant(page []byte) (Grant, error) {
	s := setupLive.FindSubmatch(page)
	if s == nil {
		return Grant{}, errors.New("front page: no live grant in it")
	}
	g := Grant{URL: string(s[1]), Token: string(s[2]), Channels: map[string]Position{}}
	for _, m := range pageletLive.FindAllSubmatch(page, -1) {
		off, err := strconv.ParseUint(string(m[2]), 10, 64)
		if err != nil {
			return Grant{}, fmt.Errorf("front page: offset %q: %w", m[2], err)
		}
		ch := string(m[1])
		if p, ok := g.Channels[ch]; !ok || off < p.Offset {
			g.Channels[ch] = Position{Offset: off, Epoch: string(m[3])}
		}
	}
	if len(g.Channels) == 0 {
		return Grant{}, errors.New("front page: a live grant but no live pagelet")
	}
	return g, nil
}

// connectCommand is the command live/live.js sends: the token, the name
// "bigpipe" and every channel, recovering from its position.
func (g Grant) connectCommand() []byte {
	type sub struct {
		Recover bool   `json:"recover"`
		Offset  uint64 `json:"offset"`
		Epoch   string `json:"epoch"`
	}
	subs := make(map[string]sub, len(g.Channels))
	for ch, p := range g.Channels {
		subs[ch] = sub{true, p.Offset, p.Epoch}
	}
	type connect struct {
		Token string         `json:"token"`
		Name  string         `json:"name"`
		Subs  map[string]sub `json:"subs"`
	}
	b, _ := json.Marshal(struct {
		ID      int     `json:"id"`
		Connect connect `json:"connect"`
	}{1, connect{g.Token, "bigpipe", subs}}) // cannot fail: strings and numbers
	return b
}

// channelNames lists g's channels, sorted.
func (g Grant) channelNames() []string {
	names := make([]string, 0, len(g.Channels))
	for ch := range g.Channels {
		names = append(names, ch)
	}
	slices.Sort(names)
	return names
}
