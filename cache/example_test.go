package cache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// A fragment is loaded once, then served from the cache. Peek serves what
// it can at once, without waiting; Get waits for the load (or joins one
// that another request started).
func Example() {
	c, err := cache.New(cache.MaxEntries(1000), cache.MaxBytes(16<<20))
	if err != nil {
		panic(err)
	}
	defer c.Close(context.Background())

	loads := 0
	fill := &cache.Fill{
		Name:    "headlines",
		Policy:  pagelet.Cache{Fresh: time.Minute, Stale: time.Minute, StaleIfError: time.Hour, Key: "/\x00headlines", Tags: []string{"stories"}},
		Timeout: 2 * time.Second,
		Source: cache.LoadFunc(func(ctx context.Context) ([]byte, *cache.Position, error) {
			loads++
			return []byte("<ul><li>Harbour reopens</li></ul>"), nil, nil
		}),
	}

	if _, _, ok := c.Peek(fill); !ok {
		fmt.Println("peek: not cached yet")
	}
	e, outcome, err := c.Get(context.Background(), fill)
	fmt.Println(outcome, string(e.HTML), err)
	e, outcome, _ = c.Peek(fill)
	fmt.Println(outcome, string(e.HTML))
	fmt.Println("loads:", loads)
	// Output:
	// peek: not cached yet
	// miss <ul><li>Harbour reopens</li></ul> <nil>
	// hit <ul><li>Harbour reopens</li></ul>
	// loads: 1
}

// When the data behind fragments changes, invalidating their tag makes the
// next request load them again; the old fragment is kept to serve if that
// load fails, within StaleIfError.
func ExampleCache_InvalidateTags() {
	c, err := cache.New()
	if err != nil {
		panic(err)
	}
	defer c.Close(context.Background())

	headline := "Harbour reopens"
	fill := &cache.Fill{
		Name:    "headlines",
		Policy:  pagelet.Cache{Fresh: time.Hour, StaleIfError: time.Hour, Key: "headlines", Tags: []string{"stories"}},
		Timeout: 2 * time.Second,
		Source: cache.LoadFunc(func(ctx context.Context) ([]byte, *cache.Position, error) {
			if headline == "" {
				return nil, nil, fmt.Errorf("stories backend down")
			}
			return []byte(headline), nil, nil
		}),
	}
	ctx := context.Background()
	e, o, _ := c.Get(ctx, fill)
	fmt.Println(o, string(e.HTML))

	headline = "Ferry strike ends" // a story is published
	if err := c.InvalidateTags(ctx, "stories"); err != nil {
		panic(err)
	}
	e, o, _ = c.Get(ctx, fill)
	fmt.Println(o, string(e.HTML))

	headline = "" // the backend goes down, and the stories change again
	_ = c.InvalidateTags(ctx, "stories")
	e, o, err = c.Get(ctx, fill)
	fmt.Println(o, string(e.HTML), err)
	// Output:
	// miss Harbour reopens
	// miss Ferry strike ends
	// stale-if-error Ferry strike ends stories backend down
}
