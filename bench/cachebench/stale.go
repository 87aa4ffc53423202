package cachebench

// Staleness across two instances: two demo servers behind one
// redis-server (the live broker, which carries the caches' messages), each
// with a store of its own. An editor breaks news on A (POST
// /admin/breaking: stored, then published); the publication is the
// breaking-news pagelet's new content on every instance's cache. Two
// pollers read B's front page back to back (as a crawler: the plain page,
// every pagelet in place) until one shows the new headline: the time from
// just before the POST was sent until the end of that page is the
// publication's staleness on B (an upper bound: it includes the POST and
// one page of B's).

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

// StaleResult is the staleness figures.
type StaleResult struct {
	Instances int             `json:"instances"`
	Redis     string          `json:"redis,omitempty"` // the redis-server version
	Skipped   string          `json:"skipped,omitempty"`
	Pubs      int             `json:"pubs"`
	Seen      int             `json:"seen"` // publications B showed within staleTimeout
	Times     []time.Duration `json:"times"`
	P50       time.Duration   `json:"p50"`
	P99       time.Duration   `json:"p99"`
	Max       time.Duration   `json:"max"`
	Pollers   int             `json:"pollers"`
	PageP50   time.Duration   `json:"page_p50"` // one of B's pages, as the pollers read them: the figures' resolution
}

const (
	// staleTimeout is how long a publication is waited for on B.
	staleTimeout = 3 * time.Second
	// stalePollers read B's front page at once.
	stalePollers = 2
	// staleGap separates two publications.
	staleGap = 20 * time.Millisecond
)

func measureStaleness(ctx context.Context, sv sites, o Options, progress func(string)) (*StaleResult, error) {
	res := &StaleResult{Instances: 2, Pubs: o.Pubs, Pollers: stalePollers}
	progress("staleness: starting redis-server and two instances")
	rd, err := measure.StartRedis()
	if err != nil {
		res.Skipped = err.Error()
		return res, err
	}
	defer rd.Stop()
	res.Redis = rd.Version
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	args := []string{"-redis", rd.URL, "-live-secret", hex.EncodeToString(secret), "-live-sim=false"}
	a, err := sv.start(ctx, true, args...)
	if err != nil {
		return nil, fmt.Errorf("instance A: %w", err)
	}
	defer a.Stop()
	b, err := sv.start(ctx, false, args...)
	if err != nil {
		return nil, fmt.Errorf("instance B: %w", err)
	}
	defer b.Stop()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: stalePollers + 1, DisableCompression: true}}
	defer client.CloseIdleConnections()
	bURL := "http://" + b.Addr + "/"
	if _, _, err := crawlerPage(ctx, client, bURL); err != nil { // B's cache filled
		return nil, fmt.Errorf("instance B: %w", err)
	}
	var pages []time.Duration
	tag := hex.EncodeToString(secret[:4])
	for k := range o.Pubs {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if k%20 == 0 {
			progress(fmt.Sprintf("staleness: publication %d/%d", k+1, o.Pubs))
		}
		headline := fmt.Sprintf("Bench staleness %s %d", tag, k)
		d, ps, err := stalenessOnce(ctx, client, "http://"+a.Admin+"/admin/breaking", bURL, headline)
		if err != nil {
			return nil, fmt.Errorf("publication %d: %w", k, err)
		}
		pages = append(pages, ps...)
		if d > 0 {
			res.Seen++
			res.Times = append(res.Times, d)
		}
		time.Sleep(staleGap)
	}
	res.P50 = measure.Percentile(res.Times, 50)
	res.P99 = measure.Percentile(res.Times, 99)
	res.Max = measure.Percentile(res.Times, 100)
	res.PageP50 = measure.Percentile(pages, 50)
	return res, nil
}

// stalenessOnce breaks headline on A (admin) and polls B's page until it
// shows it: how long that took, 0 if not within staleTimeout; and how long
// each of B's pages took.
func stalenessOnce(ctx context.Context, client *http.Client, admin, bURL, headline string) (time.Duration, []time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		seen  atomic.Int64 // ns since t0 of the first page that showed it
		mu    sync.Mutex
		pages []time.Duration
		wg    sync.WaitGroup
		perr  error
	)
	t0 := time.Now()
	deadline := t0.Add(staleTimeout)
	for range stalePollers {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) && seen.Load() == 0 {
				p0 := time.Now()
				body, _, err := crawlerPage(ctx, client, bURL)
				if err != nil {
					if ctx.Err() == nil {
						mu.Lock()
						perr = err
						mu.Unlock()
						cancel()
					}
					return
				}
				end := time.Now()
				mu.Lock()
				pages = append(pages, end.Sub(p0))
				mu.Unlock()
				if strings.Contains(body, headline) {
					seen.CompareAndSwap(0, int64(end.Sub(t0)))
					return
				}
			}
		})
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, admin, strings.NewReader(url.Values{"headline": {headline}}.Encode()))
	if err == nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		var resp *http.Response
		if resp, err = client.Do(req); err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("POST /admin/breaking: %s: %s", resp.Status, strings.TrimSpace(string(b)))
			}
		}
	}
	if err != nil {
		cancel()
	}
	wg.Wait()
	if err == nil {
		err = perr
	}
	return time.Duration(seen.Load()), pages, err
}

// crawlerPage reads u as a crawler (the plain page: every pagelet in
// place, no payload to decode).
func crawlerPage(ctx context.Context, client *http.Client, u string) (string, *http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("User-Agent", measure.GooglebotUA)
	resp, err := client.Do(req)
	if err != nil {
		return "", nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return "", nil, err
	}
	if p := pageProblem(resp, b); p != "" {
		return "", nil, fmt.Errorf("front page of instance B: %s", p)
	}
	return string(b), resp, nil
}
