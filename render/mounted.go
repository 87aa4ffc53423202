package render

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
)

// CheckPage runs pf for r, as a request's preflight would, and checks the
// page it builds with [Renderer.Check]. A PageFunc that fails, or answers
// r itself (a 404 for an unknown article, say) instead of building a page,
// is reported too: the request was meant to reach a page. Nothing is
// sent anywhere: pf writes, if at all, to a recorder.
//
// A site runs it at start and in its tests for a representative request
// of each route, such as httptest.NewRequest("GET", "/article/some-slug", nil)
// (with r.SetPathValue for the route's wildcards). Each problem is
// reported with the request, and with r.Pattern if set (the route).
func (rd *Renderer) CheckPage(pf PageFunc, r *http.Request) error {
	if pf == nil {
		return errors.New("render: CheckPage: nil PageFunc")
	}
	target := r.Method + " " + r.URL.RequestURI()
	if r.Pattern != "" {
		target = fmt.Sprintf("route %q: %s", r.Pattern, target)
	}
	w := httptest.NewRecorder()
	page, err := pf(w, r)
	switch {
	case err != nil:
		return fmt.Errorf("%s: render: the PageFunc failed: %w", target, err)
	case page == nil:
		return fmt.Errorf("%s: render: the PageFunc answered %d itself, with no page to check: check a request that reaches a page", target, w.Code)
	}
	return each(target+": ", unjoin(rd.Check(page)))
}

// CheckMounted sends a request through h, the site's whole handler (its
// mux with every middleware), for each endpoint the Renderer's pages
// depend on, and reports each that h does not serve ([ErrNotMounted]),
// joined with [errors.Join]: the no-JS redirect and the client runtime
// under [Renderer.Path] (mux.Handle(rd.Path(), rd)), one file of the asset
// registry (mounted under its prefix), and with [WithLive] the live
// engine's client script (mux.Handle(eng.Path(), eng)). The requests are
// in-process ([httptest.NewRecorder]): nothing goes over the network, and
// h's side effects are those of these GETs (the no-JS endpoint sets a
// cookie on its recorder).
//
// Without it a forgotten mount shows only in the browser, as a 404 and a
// script refused for its MIME type; a site runs it once at start.
func (rd *Renderer) CheckMounted(ctx context.Context, h http.Handler) error {
	var errs []error
	fix := fmt.Sprintf("mount the renderer: mux.Handle(%q, rd)", rd.path)
	if err := probe(ctx, h, rd.path+"nojs?next=/", redirect); err != nil {
		errs = append(errs, fmt.Errorf("%w: the no-JS redirect: %w: %s", ErrNotMounted, err, fix))
	}
	if rt, err := rd.runtimeAsset(); err != nil {
		errs = append(errs, fmt.Errorf("render: client runtime: %w", err))
	} else if err := probe(ctx, h, rt.URL, script); err != nil {
		if rd.runtime == nil { // WithRuntime: a file of the site's registry
			fix = "mount the asset registry that holds it"
		}
		errs = append(errs, fmt.Errorf("%w: the client runtime: %w: %s", ErrNotMounted, err, fix))
	}
	if all := rd.assets.All(); len(all) > 0 {
		if err := probe(ctx, h, all[0].URL, ok); err != nil {
			errs = append(errs, fmt.Errorf("%w: the site's assets (%s): %w: mount the asset registry under its prefix, as mux.Handle(\"GET /static/\", reg)", ErrNotMounted, all[0].Name, err))
		}
	}
	if rd.live != nil {
		g, err := rd.live.Grant(ctx, nil)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("render: live engine: %w", err))
		case g.Script != "":
			if err := probe(ctx, h, g.Script, script); err != nil {
				errs = append(errs, fmt.Errorf("%w: the live client: %w: mount the live engine: mux.Handle(%q, eng)", ErrNotMounted, err, g.URL))
			}
		}
	}
	return errors.Join(errs...)
}

// want is what a probed endpoint should answer; it returns why the answer
// is not that.
type want func(*httptest.ResponseRecorder) error

func ok(w *httptest.ResponseRecorder) error {
	if w.Code != http.StatusOK {
		return fmt.Errorf("answered %d", w.Code)
	}
	return nil
}

func redirect(w *httptest.ResponseRecorder) error {
	if w.Code < 300 || w.Code > 399 {
		return fmt.Errorf("answered %d, not a redirect", w.Code)
	}
	return nil
}

// script is a 200 a browser runs as script: a site's catch-all that
// answers 200 with an HTML page is refused by the browser for its type.
func script(w *httptest.ResponseRecorder) error {
	if err := ok(w); err != nil {
		return err
	}
	if ct := w.Header().Get("Content-Type"); !strings.Contains(ct, "javascript") {
		return fmt.Errorf("answered with Content-Type %q, not a script", ct)
	}
	return nil
}

// probe sends GET target through h and checks the answer with check. A
// target on another host (an asset prefix on a CDN, say) is not h's to
// serve, and passes.
func probe(ctx context.Context, h http.Handler, target string, check want) error {
	if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") {
		return nil
	}
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if err := check(w); err != nil {
		return fmt.Errorf("GET %s %w", target, err)
	}
	return nil
}
