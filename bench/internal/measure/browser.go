package measure

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/headless"
	"github.com/chromedp/chromedp"
)

// browserStartTimeout bounds starting Chromium.
const browserStartTimeout = 30 * time.Second

// Browser is one running headless Chromium.
type Browser struct {
	Ctx  context.Context // the browser's chromedp context; tabs derive from it
	Stop func()          // kills Chromium, waits for it, removes its profile
}

// StartBrowser starts Chromium at path; it stops when ctx ends or stop
// is called.
func StartBrowser(ctx context.Context, path string) (*Browser, error) {
	dir, err := os.MkdirTemp("", "bigpipe-bench-chromium-*")
	if err != nil {
		return nil, err
	}
	actx, acancel := chromedp.NewExecAllocator(ctx, headless.Options(path, dir, 1280, 1000)...)
	// chromedp logs protocol oddities with the log package; they would
	// garble the progress bar and say nothing about the figures.
	quiet := func(string, ...any) {}
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(quiet), chromedp.WithErrorf(quiet))
	stop := func() {
		bcancel()
		acancel() // waits for the process to exit
		_ = os.RemoveAll(dir)
	}
	// The first Do starts the browser and binds its life to bctx, so it
	// cannot take a context with a timeout: bound it from outside.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(bctx) }()
	select {
	case err = <-started:
	case <-time.After(browserStartTimeout):
		stop()
		<-started
		err = fmt.Errorf("no answer from the browser within %v", browserStartTimeout)
	}
	if err != nil {
		stop()
		return nil, err
	}
	return &Browser{Ctx: bctx, Stop: stop}, nil
}

// BrowserErr prefers ctx's own error, so that a cancelled benchmark says so
// rather than reporting a protocol error.
func BrowserErr(ctx context.Context, what string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return fmt.Errorf("%s: %w", what, err)
}
