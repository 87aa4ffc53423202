package crawler

// pattern is one entry of the pattern list: a lower-case ASCII string, the
// kind of client it names and where in a User-Agent it may match.
type pattern struct {
	text string
	kind Kind
	at   anchor
}

// anchor restricts where a pattern may match. The zero value, anywhere,
// suits strings distinctive enough to mean the same thing wherever they
// occur. "Letter" below means an ASCII letter: digits and punctuation end a
// word, so "googlebot/2.1", "mj12bot" and "Mail.RU_Bot" all end in a word
// "bot".
type anchor uint8

const (
	anywhere  anchor = 0
	wordStart anchor = 1 << iota // not preceded by a letter
	wordEnd                      // not followed by a letter
	inWord                       // preceded by a letter: the tail of a compound word ("bingpreview")
	wordHead                     // followed by a letter: the head of a compound word ("yandeximages")
	uaStart                      // at the very start of the User-Agent
)

// defaultPatterns returns the built-in list, a new slice on each call.
// Keep each entry lower case and each group commented; a specific token is
// worth listing even when a generic one already catches it, as it records
// a client someone has seen. Prefer a token that only the client sends:
// "snap url preview", not "snapchat", which Snapchat's in-app browser sends
// too.
func defaultPatterns() []pattern {
	const (
		c = KindCrawler
		t = KindTextBrowser
		h = KindHTTPClient
	)
	return []pattern{
		// Generic tokens, with care. "bot" must end a word: Googlebot/2.1 and
		// "+http://…/bot.html" match, "Bottle" and "Botim" do not (the CUBOT
		// phone brand is an exception, see exceptions). "preview" must be the
		// tail of a compound token (BingPreview, SkypeUriPreview), so a
		// browser calling a build "Preview" is safe. The others are words no
		// browser puts in its User-Agent but services that fetch pages
		// often do, mostly appended to a copied browser string: "Sucuri
		// Integrity Monitor/2.4", "ThousandEyes Agent", "CookieHubScan/3.0".
		{"bot", c, wordEnd},
		{"robots", c, wordEnd},
		{"crawler", c, anywhere},
		{"crawl", c, wordEnd},
		{"spider", c, wordEnd},
		{"slurp", c, anywhere},
		{"fetcher", c, anywhere},
		{"preview", c, inWord | wordEnd},
		{"page-preview", c, anywhere},
		{"agent", c, wordEnd},
		{"scan", c, wordEnd},
		{"scanner", c, anywhere},
		{"scanning", c, anywhere},
		{"scraper", c, anywhere},
		{"scraping", c, anywhere},
		{"checker", c, anywhere},
		{"linkcheck", c, anywhere},
		{"monitor", c, anywhere},
		{"uptime", c, anywhere},
		{"synthetic", c, anywhere},

		// Google: https://developers.google.com/search/docs/crawling-indexing/google-common-crawlers
		// Its tokens are Googlebot*, Google-Xxx and Xxx-Google; the smartphone
		// Googlebot and Google-InspectionTool otherwise look like Chrome.
		{"googlebot", c, anywhere},
		{"google-", c, wordStart},
		{"-google", c, wordEnd},
		{"google-inspectiontool", c, anywhere},
		{"storebot-google", c, anywhere},
		{"googleother", c, anywhere},
		{"google-extended", c, anywhere},
		{"adsbot-google", c, anywhere},
		{"mediapartners-google", c, anywhere},
		{"apis-google", c, anywhere},
		{"feedfetcher-google", c, anywhere},
		{"duplexweb-google", c, anywhere},
		{"googleproducer", c, anywhere},
		{"googleprober", c, anywhere},
		{"google favicon", c, anywhere},
		{"google web preview", c, anywhere},
		{"google page speed", c, anywhere},
		{"googleimageproxy", c, anywhere}, // Gmail's image proxy
		{"googleagent", c, anywhere},      // GoogleAgent-Mariner, acting for a user

		// Other search engines.
		{"bingbot", c, anywhere},
		{"bingpreview", c, anywhere},
		{"msnbot", c, anywhere},
		{"adidxbot", c, anywhere},
		{"baiduspider", c, anywhere},
		{"yandex", c, wordStart | wordHead}, // YandexBot, YandexImages, YandexMetrika…; not YaBrowser
		{"yandex.com/bots", c, anywhere},
		{"yandex.ru/bots", c, anywhere},
		{"duckduckbot", c, anywhere},
		{"duckassistbot", c, anywhere},
		{"duckduckgo-favicons-bot", c, anywhere},
		{"applebot", c, anywhere},
		{"sogou", c, wordStart | wordEnd}, // "Sogou web spider", not SogouMobileBrowser
		{"360spider", c, anywhere},
		{"yisouspider", c, anywhere},
		{"yeti", c, wordStart | wordEnd}, // Naver
		{"seznambot", c, anywhere},
		{"yahoo! slurp", c, anywhere},
		{"yahoo ad monitoring", c, anywhere},
		{"petalbot", c, anywhere},
		{"qwantify", c, anywhere},
		{"coccocbot", c, anywhere},
		{"mojeekbot", c, anywhere},
		{"ia_archiver", c, anywhere},
		{"archive.org_bot", c, anywhere},

		// Social networks and chat apps fetching link previews. Their in-app
		// browsers (FBAN/FBIOS, FB_IAB, Instagram, LinkedInApp, Snapchat,
		// discord/, Slack_SSB) run JavaScript and match nothing here.
		{"facebookexternalhit", c, anywhere},
		{"facebookcatalog", c, anywhere},
		{"facebot", c, anywhere},
		{"meta-externalagent", c, anywhere},
		{"meta-externalfetcher", c, anywhere},
		{"twitterbot", c, anywhere},
		{"linkedinbot", c, anywhere},
		{"slackbot", c, anywhere},
		{"slack-imgproxy", c, anywhere},
		{"discordbot", c, anywhere},
		{"telegrambot", c, anywhere},
		{"whatsapp/", c, wordStart},
		{"pinterestbot", c, anywhere},
		{"redditbot", c, anywhere},
		{"embedly", c, anywhere},
		{"iframely", c, anywhere},
		{"vkshare", c, anywhere},
		{"skypeuripreview", c, anywhere},
		{"snap url preview", c, anywhere},
		{"cardyb", c, wordStart | wordEnd}, // Bluesky
		{"mastodon/", c, wordStart},
		{"kakaotalk-scrap", c, anywhere},

		// AI crawlers and assistants fetching on a user's behalf.
		{"gptbot", c, anywhere},
		{"chatgpt-user", c, anywhere},
		{"oai-searchbot", c, anywhere},
		{"claudebot", c, anywhere},
		{"claude-web", c, anywhere},
		{"claude-user", c, anywhere},
		{"claude-searchbot", c, anywhere},
		{"anthropic-ai", c, anywhere},
		{"perplexitybot", c, anywhere},
		{"perplexity-user", c, anywhere},
		{"mistralai-user", c, anywhere},
		{"cohere-ai", c, anywhere},
		{"ccbot", c, anywhere},
		{"bytespider", c, anywhere}, // not TikTok's in-app BytedanceWebview
		{"amazonbot", c, anywhere},
		{"diffbot", c, anywhere},
		{"youbot", c, anywhere},
		{"omgili", c, anywhere},

		// SEO tools.
		{"ahrefsbot", c, anywhere},
		{"ahrefssiteaudit", c, anywhere},
		{"semrushbot", c, anywhere},
		{"mj12bot", c, anywhere},
		{"dotbot", c, anywhere},
		{"rogerbot", c, anywhere},
		{"blexbot", c, anywhere},
		{"screaming frog", c, anywhere},
		{"dataforseobot", c, anywhere},

		// Headless browsers, performance audits and uptime monitors: they may
		// run JavaScript, but they are automation, not readers.
		{"headlesschrome", c, anywhere},
		{"phantomjs", c, anywhere},
		{"slimerjs", c, anywhere},
		{"lighthouse", c, anywhere}, // Chrome-Lighthouse, PageSpeed Insights
		{"ptst/", c, wordStart},     // WebPageTest
		{"gtmetrix", c, anywhere},
		{"pingdom", c, anywhere},
		{"statuscake", c, anywhere},
		{"site24x7", c, anywhere},
		{"playwright", c, anywhere},
		{"selenium", c, anywhere},
		{"puppeteer", c, anywhere},
		{"splash", c, wordStart | wordEnd}, // Scrapinghub's rendering service
		{"dareboost", c, anywhere},
		{"ghost inspector", c, anywhere},
		{"hotjar", c, anywhere},
		{"criticalcss", c, anywhere},
		{"testlocally", c, anywhere},
		{"ylt", c, wordStart | wordEnd}, // Yellow Lab Tools
		{"rigor", c, wordStart | wordEnd},
		{"appinsights", c, anywhere}, // Azure availability tests
		{"newrelic", c, anywhere},
		{"datadog", c, anywhere},

		// Site audits, security scanners, marketing and compliance tools,
		// readers and converters: services that fetch a page and do not run
		// its scripts, or run them for a report, not a reader.
		{"siteimprove", c, anywhere},
		{"silktide", c, anywhere},
		{"securityheaders", c, anywhere},
		{"hardenize", c, anywhere},
		{"sucuri", c, anywhere},
		{"netcraft", c, anywhere},
		{"watchtowr", c, anywhere},
		{"foregenix", c, anywhere},
		{"xmco", c, wordStart | wordEnd},
		{"cookiehub", c, anywhere},
		{"sqwatcher", c, anywhere},
		{"turingos", c, anywhere},
		{"datanyze", c, anywhere},
		{"infegy", c, anywhere},
		{"adbeat", c, anywhere},
		{"scope3", c, wordStart | wordEnd},
		{"marketgoo", c, anywhere},
		{"linktiger", c, anywhere},
		{"sindup", c, anywhere},
		{"geedoshop", c, anywhere},
		{"newsai/", c, wordStart},
		{"newsnow", c, anywhere},
		{"ps_daily", c, anywhere},
		{"manus-user", c, anywhere}, // an AI agent
		{"feeder.co", c, anywhere},
		{"readable/", c, wordStart},
		{"printfriendly", c, anywhere},
		{"collapsify", c, anywhere},
		{"miniature.io", c, anywhere},
		{"zotero", c, anywhere},
		{"pwabuilder", c, anywhere},

		// Scraping and archiving frameworks.
		{"scrapy", c, anywhere},
		{"colly", c, wordStart | wordEnd},
		{"nutch", c, wordStart | wordEnd},
		{"heritrix", c, anywhere},
		{"httrack", c, anywhere},

		// Browsers without JavaScript, used by people.
		{"w3m/", t, wordStart},
		{"lynx", t, wordStart | wordEnd},
		{"links", t, uaStart | wordEnd}, // "Links (2.28; Linux …; text)"
		{"elinks", t, wordStart | wordEnd},
		{"dillo", t, wordStart | wordEnd}, // graphical, but no JavaScript
		{"url/emacs", t, anywhere},        // Emacs eww

		// HTTP libraries and command-line clients.
		{"curl/", h, wordStart},
		{"libcurl", h, anywhere},
		{"wget", h, wordStart | wordEnd},
		{"python-requests", h, anywhere},
		{"python-urllib", h, anywhere},
		{"python-httpx", h, anywhere},
		{"python/", h, wordStart},
		{"aiohttp", h, anywhere},
		{"go-http-client", h, anywhere},
		{"go-resty", h, anywhere},
		{"fasthttp", h, anywhere},
		{"okhttp", h, anywhere},
		{"java/", h, wordStart},
		{"java-http-client", h, anywhere},
		{"apache-httpclient", h, anywhere},
		{"libwww-perl", h, anywhere},
		{"lwp::", h, anywhere},
		{"axios/", h, wordStart},
		{"node-fetch", h, anywhere},
		{"undici", h, anywhere},
		{"node", h, uaStart | wordEnd}, // Node.js fetch sends just "node"
		{"deno/", h, wordStart},
		{"bun/", h, wordStart},
		{"guzzlehttp", h, anywhere},
		{"wordpress/", h, wordStart},
		{"ruby", h, uaStart | wordEnd},
		{"faraday", h, wordStart | wordEnd},
		{"rest-client", h, anywhere},
		{"http.rb", h, anywhere},
		{"httpie", h, wordStart | wordEnd},
		{"postmanruntime", h, anywhere},
		{"insomnia/", h, wordStart},
		{"powershell/", h, anywhere},
		{"reqwest", h, wordStart | wordEnd},
		{"dart:io", h, anywhere},
		{"dalvik/", h, wordStart}, // Android's HttpURLConnection, not its WebView
		{"hackney", h, wordStart | wordEnd},
		{"winhttp", h, anywhere},
	}
}

// exceptions returns the words that contain a pattern but name a browser,
// app or device, compared whole and ASCII case-insensitively.
func exceptions() []string {
	return []string{
		"cubot",        // Android phone brand: "CUBOT_X30", "CUBOT KINGKONG 5 Pro"
		"thunderobot",  // laptop and tablet brand
		"yandexsearch", // the Yandex app's in-app browser on older Android builds
	}
}

// engineTokens returns the tokens by which a browser that runs JavaScript
// names its engine: AppleWebKit/ (WebKit and Blink), Gecko/ and the "like
// Gecko" of WebKit, Blink, KHTML and Trident, Trident/ and "MSIE " (Internet
// Explorer), Presto/ (Opera Mini, old Opera), Servo/ and Ladybird/. Chrome/,
// Firefox/ and Safari/ are there too, to err on the browser's side: a
// string such as "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.0.0",
// which no Chrome sends but top-user-agents counts among the common ones,
// stays a browser.
//
// A User-Agent that no pattern matches and that names none of them is no
// browser of ours: a library, an app's or a service's own client, or a
// device whose browser predates scripts such as the page's (feature
// phones, NetFront), all better off with plain HTML. Keep each token
// specific to browsers, so that naming one stays hard to do by accident.
func engineTokens() []string {
	return []string{
		"applewebkit/", "gecko/", "like gecko", "trident/", "msie ", "presto/", "servo/", "ladybird/",
		"chrome/", "firefox/", "safari/",
	}
}
