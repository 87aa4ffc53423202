package crawler_test

import (
	"fmt"

	"github.com/bigpipe-go/bigpipe/internal/crawler"
)

func ExampleDetector_Kind() {
	d := crawler.New("acmestatus") // plus our own uptime checker
	for _, ua := range []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"w3m/0.5.3+git20230121",
		"curl/8.5.0",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 AcmeStatus/2.0",
		"",
	} {
		fmt.Printf("%-12v %v\n", d.Kind(ua), d.IsCrawler(ua))
	}
	// Output:
	// browser      false
	// crawler      true
	// text-browser true
	// http-client  true
	// crawler      true
	// http-client  true
}
