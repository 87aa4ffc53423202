package measure

// The closed-loop load generator: workers sending whole-page requests back
// to back on keep-alive connections (the page bench's load figure and the
// soak's calibration).

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// LoadWarmup is how long the unreported warm-up before a round lasts.
func LoadWarmup(round time.Duration) time.Duration {
	return max(50*time.Millisecond, min(250*time.Millisecond, round/10))
}

// LoadRound is one round of one mode at one concurrency level.
type LoadRound struct {
	Requests int             // requests sent, failed ones included
	Errors   int             // requests that failed
	Elapsed  time.Duration   // from the first request to the last response
	Samples  []time.Duration // latency of each successful request
}

// LoadRequestTimeout bounds one request of the load generator.
const LoadRequestTimeout = 10 * time.Second

// LoadSpec is one round of the closed loop.
type LoadSpec struct {
	Client      *http.Client
	URL         string
	UA          string        // the User-Agent sent
	Header      http.Header   // more request headers; may be nil
	Workers     int           // requests in flight at once
	For         time.Duration // how long the round lasts
	MaxRequests int           // requests sent at most; <= 0: no count limit
}

// LoadRun is the closed loop: s.Workers workers, each sending requests for
// s.URL back to back until s.For has passed since the start or
// s.MaxRequests requests have been sent. It returns an error only when ctx
// is done.
func LoadRun(ctx context.Context, s LoadSpec) (LoadRound, error) {
	c, maxReq := s.Workers, s.MaxRequests
	var (
		sent    atomic.Int64
		wg      sync.WaitGroup
		res     LoadRound
		start   = time.Now()
		stopAt  = start.Add(s.For)
		workers = make([][]time.Duration, c)
		errs    = make([]int, c)
	)
	for w := range c {
		wg.Go(func() {
			var body bytes.Buffer
			samples := make([]time.Duration, 0, 1024)
			for ctx.Err() == nil && time.Now().Before(stopAt) {
				if n := sent.Add(1); maxReq > 0 && n > int64(maxReq) {
					sent.Add(-1)
					break
				}
				t0 := time.Now()
				if err := loadOne(ctx, s, &body); err != nil {
					errs[w]++
					continue
				}
				samples = append(samples, time.Since(t0))
			}
			workers[w] = samples
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	res.Requests = int(sent.Load())
	for w := range c {
		res.Errors += errs[w]
		res.Samples = append(res.Samples, workers[w]...)
	}
	return res, nil
}

// loadOne sends one request of s and reads the whole page into body
// (reused), failing unless the status is 200 and the page ends with </html>.
func loadOne(ctx context.Context, s LoadSpec, body *bytes.Buffer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return err
	}
	for k, v := range s.Header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", s.UA)
	return ReadWhole(s.Client, req, body)
}

// LoadOne sends one request and reads the whole page into body (reused),
// failing unless the status is 200 and the page ends with </html>.
func LoadOne(ctx context.Context, client *http.Client, url, ua string, body *bytes.Buffer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", ua)
	return ReadWhole(client, req, body)
}

// ReadWhole sends req and reads the whole page into body (reused), failing
// unless the status is 200 and the page ends with </html>.
func ReadWhole(client *http.Client, req *http.Request, body *bytes.Buffer) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body.Reset()
	if _, err := io.Copy(body, resp.Body); err != nil {
		return fmt.Errorf("after %d bytes: %w", body.Len(), err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if !bytes.HasSuffix(bytes.TrimRight(body.Bytes(), " \t\r\n"), []byte("</html>")) {
		return fmt.Errorf("page of %d bytes does not end with </html>", body.Len())
	}
	return nil
}
