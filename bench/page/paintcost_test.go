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
	variants := paintVariants(t, ls.URL)
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
	for run := 0; run < 6; run++ {
		for _, k := range names {
			res[k] = append(res[k], paintFCP(t, br, srv.URL+"/?v="+url.QueryEscape(k)))
		}
	}
	for _, k := range names {
		v := res[k]
		sort.Float64s(v)
		t.Logf("%-10s FCP median %.0f ms, all %v", k, v[len(v)/2], v)
	}
}

// paintPage is /bench with 32 pagelets of 5 ms in mode m, as the server at
// base writes it, uncompressed.
func paintPage(t *testing.T, base, m string) string {
	t.Helper()
	// 5 ms, not 0: a pagelet done when the skeleton is written is placed
	// in it as HTML, and what is measured here is the payloads.
	req, _ := http.NewRequest("GET", base+"/bench?mode="+m+"&delays="+strings.TrimSuffix(strings.Repeat("5,", 32), ","), nil)
	req.Header.Set("User-Agent", ChromeUA)
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(body)
}

// paintVariants are the pages compared, by name.
func paintVariants(t *testing.T, base string) map[string]string {
	t.Helper()
	doc := paintPage(t, base, "pipelined")
	// Pagelets flushed together share one script element: find the calls.
	re := regexp.MustCompile(`onPageletArrive\((\{.*?\})\)(?:;bigPipe\.|</script>)`)
	calls := re.FindAllStringSubmatch(doc, -1)
	idx := regexp.MustCompile(`<script nonce="[^"]+">bigPipe\.onPageletArrive\(`).FindStringIndex(doc)
	skel := doc[:idx[0]]
	skel = regexp.MustCompile(` nonce="[^"]+"`).ReplaceAllString(skel, "") // served without the CSP header
	if len(calls) != 32 {
		t.Fatalf("%d calls", len(calls))
	}
	var a, b, c strings.Builder
	b.WriteString("<script>")
	for _, m := range calls {
		fmt.Fprintf(&a, "<script>bigPipe.onPageletArrive(%s)</script>\n", m[1])
		fmt.Fprintf(&b, "bigPipe.onPageletArrive(%s);\n", m[1])
		fmt.Fprintf(&c, "<script>void (%s)</script>\n", m[1])
	}
	b.WriteString("</script>")
	return map[string]string{
		"32 scripts": skel + a.String() + "</body></html>",
		"one script": skel + b.String() + "</body></html>",
		"32 no-ops":  skel + c.String() + "</body></html>",
		"skeleton":   skel + "</body></html>",
		"plain HTML": paintPage(t, base, "inorder"),
	}
}

// paintProbe resolves window.__fcp with the page's First Contentful Paint.
const paintProbe = `(() => { let r; window.__fcp = new Promise(x => r = x); new PerformanceObserver(l => l.getEntries().forEach(e => { if (e.name === 'first-contentful-paint') r(e.startTime); })).observe({type: 'paint', buffered: true}); })();`

// paintFCP loads u in a new tab of br and returns its FCP in ms.
func paintFCP(t *testing.T, br *benchBrowser, u string) float64 {
	t.Helper()
	tctx, tcancel := chromedp.NewContext(br.Ctx, chromedp.WithNewBrowserContext())
	defer tcancel()
	if _, err := chromedp.Call(tctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: paintProbe}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tctx, chromedp.NavigateResponse(u)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.__fcp`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
