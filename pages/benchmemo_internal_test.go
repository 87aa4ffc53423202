package pages

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestBenchMemo checks /bench's page function: the same query reuses the
// last page, another query gets its own page (and is kept in its place),
// and a bad query is a 400 that is not kept.
func TestBenchMemo(t *testing.T) {
	var m benchMemo
	get := func(query string) (int, int, any) {
		t.Helper()
		w := httptest.NewRecorder()
		page, err := m.page(w, httptest.NewRequest(http.MethodGet, "/bench?"+query, nil))
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if page == nil {
			return w.Code, 0, nil
		}
		return w.Code, len(page.Pagelets), page
	}
	_, n, a := get("delays=0,0&cache=1")
	if n != 2 {
		t.Fatalf("delays=0,0: %d pagelets, want 2", n)
	}
	if _, _, again := get("delays=0,0&cache=1"); again != a {
		t.Error("the same query built a new page")
	}
	_, n, b := get("delays=0,0,0")
	if n != 3 || b == a {
		t.Errorf("another query: %d pagelets (want 3), same page %v", n, b == a)
	}
	if code, _, page := get("delays=zero"); code != http.StatusBadRequest || page != nil {
		t.Errorf("bad query: status %d, page %v; want 400 and none", code, page)
	}
	if _, n, again := get("delays=0,0,0"); again != b || n != 3 {
		t.Error("a bad query replaced the kept page")
	}
	if _, n, again := get("delays=0,0&cache=1"); n != 2 || again == a {
		t.Errorf("the first query again: %d pagelets, reused a page another query replaced: %v", n, again == a)
	}
}
