package page

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestSkeletonPaintCost is an on-demand diagnostic, not a check: run it with
//
//	BIGPIPE_DIAG=1 go test -run TestSkeletonPaintCost -v ./bench
//
// It takes the pipelined 32-pagelet zero-delay /bench page (the floor of the
// many scenario) and serves it from memory in four forms: as the renderer
// writes it (32 payload scripts), with the 32 calls in one script, with
// scripts that do nothing, and the bare skeleton; and next to them the same
// page as inline HTML (inorder). Chromium loads each in turn,
// six times, and the median FCP of each tells what the first paint of that
// page costs: the payloads and the runtime's work, or the skeleton's layout.
func TestSkeletonPaintCost(t *testing.T) {
	if os.Getenv("BIGPIPE_DIAG") == "" {
		t.Skip("diagnostic: set BIGPIPE_DIAG=1 to run")
	}
	ls, err := measure.StartLocal()
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	// 5 ms, not 0: a pagelet done when the skeleton is written is placed
	// in it as HTML, and what is measured here is the payloads.
	req, _ := http.NewRequest("GET", ls.URL+"/bench?mode=pipelined&delays="+strings.TrimSuffix(strings.Repeat("5,", 32), ","), nil)
	req.Header.Set("User-Agent", ChromeUA)
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	doc := string(body)
	// Pagelets flushed together share one script element: find the calls.
	re := regexp.MustCompile(`onPageletArrive\((\{.*?\})\)(?:;bigPipe\.|</script>)`)
	calls := re.FindAllStringSubmatch(doc, -1)
	idx := regexp.MustCompile(`<script nonce="[^"]+">bigPipe\.onPageletArrive\(`).FindStringIndex(doc)
	skel := doc[:idx[0]]
	skel = regexp.MustCompile(` nonce="[^"]+"`).ReplaceAllString(skel, "") // served without the CSP header
	if len(calls) != 32 {
		t.Fatalf("%d calls", len(calls))
	}
	variants := map[string]string{}
	var a, b, c strings.Builder
	b.WriteString("<script>")
	for _, m := range calls {
		fmt.Fprintf(&a, "<script>bigPipe.onPageletArrive(%s)</script>\n", m[1])
		fmt.Fprintf(&b, "bigPipe.onPageletArrive(%s);\n", m[1])
		fmt.Fprintf(&c, "<script>void (%s)</script>\n", m[1])
	}
	b.WriteString("</script>")
	variants["32 scripts"] = skel + a.String() + "</body></html>"
	variants["one script"] = skel + b.String() + "</body></html>"
	variants["32 no-ops"] = skel + c.String() + "</body></html>"
	variants["skeleton"] = skel + "</body></html>"
	req, _ = http.NewRequest("GET", ls.URL+"/bench?mode=inorder&delays="+strings.TrimSuffix(strings.Repeat("5,", 32), ","), nil)
	req.Header.Set("User-Agent", ChromeUA)
	req.Header.Set("Accept-Encoding", "identity")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	variants["plain HTML"] = string(plain)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, variants[r.URL.Query().Get("v")])
	}))
	defer srv.Close()
	path, _ := measure.ChromiumPath()
	br, err := startBenchBrowser(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer br.Stop()
	names := []string{"32 scripts", "one script", "32 no-ops", "skeleton", "plain HTML"}
	res := map[string][]float64{}
	probe := `(() => { let r; window.__fcp = new Promise(x => r = x); new PerformanceObserver(l => l.getEntries().forEach(e => { if (e.name === 'first-contentful-paint') r(e.startTime); })).observe({type: 'paint', buffered: true}); })();`
	for run := 0; run < 6; run++ {
		for _, k := range names {
			tctx, tcancel := chromedp.NewContext(br.Ctx, chromedp.WithNewBrowserContext())
			if _, err := chromedp.Call(tctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: probe}); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Run(tctx, chromedp.NavigateResponse(srv.URL+"/?v="+url.QueryEscape(k))); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(tctx, 10*time.Second)
			v, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.__fcp`, chromedp.EvalAwaitPromise))
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			res[k] = append(res[k], v)
			tcancel()
		}
	}
	for _, k := range names {
		v := res[k]
		sort.Float64s(v)
		t.Logf("%-10s FCP median %.0f ms, all %v", k, v[len(v)/2], v)
	}
}
