package pages_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pages"
)

func ExampleSite_Home() {
	st, err := store.OpenMemory()
	if err != nil {
		panic(err)
	}
	defer st.Close()
	site := pages.NewSite(st)

	page, _ := site.Home(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	for _, p := range page.Pagelets {
		fmt.Println(p.ID, p.Priority, p.Timeout)
	}
	// Output:
	// hotnews 100 3s
	// breaking 90 3s
	// society 50 3s
	// finance 60 3s
	// tech 40 3s
	// sports 30 3s
	// mostread 20 3s
	// weather 10 3s
	// notifications 80 3s
}
