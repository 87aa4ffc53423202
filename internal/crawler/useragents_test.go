package crawler_test

import "github.com/bigpipe-go/bigpipe/internal/crawler"

// uaCase is one User-Agent and the kind it must be classified as.
type uaCase struct {
	name string
	ua   string
	want crawler.Kind
}

// crawlerUAs are User-Agents of crawlers, link-preview fetchers, AI
// crawlers and automation, as their operators publish them or as they
// appear in access logs. Version numbers are as published; placeholders
// such as Google's "W.X.Y.Z" are replaced by a real Chrome version.
var crawlerUAs = []uaCase{
	// Google
	{"Googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", crawler.KindCrawler},
	{"Googlebot desktop", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/131.0.6778.204 Safari/537.36", crawler.KindCrawler},
	{"Googlebot smartphone", "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.204 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", crawler.KindCrawler},
	{"Googlebot-Image", "Googlebot-Image/1.0", crawler.KindCrawler},
	{"Googlebot-Video", "Googlebot-Video/1.0", crawler.KindCrawler},
	{"Google-InspectionTool desktop", "Mozilla/5.0 (compatible; Google-InspectionTool/1.0;)", crawler.KindCrawler},
	{"Google-InspectionTool smartphone", "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.204 Mobile Safari/537.36 (compatible; Google-InspectionTool/1.0;)", crawler.KindCrawler},
	{"Storebot-Google desktop", "Mozilla/5.0 (X11; Linux x86_64; Storebot-Google/1.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.204 Safari/537.36", crawler.KindCrawler},
	{"Storebot-Google mobile", "Mozilla/5.0 (Linux; Android 8.0; Pixel 2 Build/OPD3.170816.012; Storebot-Google/1.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.204 Mobile Safari/537.36", crawler.KindCrawler},
	{"GoogleOther", "GoogleOther", crawler.KindCrawler},
	{"GoogleOther smartphone", "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.204 Mobile Safari/537.36 (compatible; GoogleOther)", crawler.KindCrawler},
	{"Google-Extended", "Google-Extended", crawler.KindCrawler},
	{"AdsBot-Google", "AdsBot-Google (+http://www.google.com/adsbot.html)", crawler.KindCrawler},
	{"AdsBot-Google-Mobile", "Mozilla/5.0 (iPhone; CPU iPhone OS 14_7_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.1.2 Mobile/15E148 Safari/604.1 (compatible; AdsBot-Google-Mobile; +http://www.google.com/mobile/adsbot.html)", crawler.KindCrawler},
	{"Mediapartners-Google", "Mediapartners-Google", crawler.KindCrawler},
	{"Mediapartners-Google mobile", "Mozilla/5.0 (iPhone; CPU iPhone OS 10_3 like Mac OS X) AppleWebKit/602.1.50 (KHTML, like Gecko) CriOS/56.0.2924.75 Mobile/14E5239e Safari/602.1 (compatible; Mediapartners-Google/2.1; +http://www.google.com/bot.html)", crawler.KindCrawler},
	{"APIs-Google", "APIs-Google (+https://developers.google.com/webmasters/APIs-Google.html)", crawler.KindCrawler},
	{"FeedFetcher-Google", "FeedFetcher-Google; (+http://www.google.com/feedfetcher.html)", crawler.KindCrawler},
	{"Google-Read-Aloud", "Mozilla/5.0 (Linux; Android 7.0; SM-G930V Build/NRD90M) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/59.0.3071.125 Mobile Safari/537.36 (compatible; Google-Read-Aloud; +https://support.google.com/webmasters/answer/1061943)", crawler.KindCrawler},
	{"Google Favicon", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0.2623.75 Safari/537.36 Google Favicon", crawler.KindCrawler},
	{"Google-Site-Verification", "Mozilla/5.0 (compatible; Google-Site-Verification/1.0)", crawler.KindCrawler},
	{"DuplexWeb-Google", "Mozilla/5.0 (Linux; Android 11; Pixel 2; DuplexWeb-Google/1.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/86.0.4240.193 Mobile Safari/537.36", crawler.KindCrawler},
	{"Google-Safety", "Google-Safety", crawler.KindCrawler},

	// Bing
	{"bingbot", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", crawler.KindCrawler},
	{"bingbot desktop", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36", crawler.KindCrawler},
	{"bingbot mobile", "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.1938.76 Mobile Safari/537.36 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", crawler.KindCrawler},
	{"BingPreview", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/64.0.3282.140 Safari/537.36 Edge/18.17763 BingPreview/1.0b", crawler.KindCrawler},
	{"msnbot", "msnbot/2.0b (+http://search.msn.com/msnbot.htm)", crawler.KindCrawler},
	{"msnbot-media", "msnbot-media/1.1 (+http://search.msn.com/msnbot.htm)", crawler.KindCrawler},
	{"adidxbot", "Mozilla/5.0 (compatible; adidxbot/2.0; +http://www.bing.com/bingbot.htm)", crawler.KindCrawler},

	// Other search engines
	{"Baiduspider", "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", crawler.KindCrawler},
	{"Baiduspider-render", "Mozilla/5.0 (compatible; Baiduspider-render/2.0; +http://www.baidu.com/search/spider.html)", crawler.KindCrawler},
	{"YandexBot", "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", crawler.KindCrawler},
	{"YandexMobileBot", "Mozilla/5.0 (iPhone; CPU iPhone OS 8_1 like Mac OS X) AppleWebKit/600.1.4 (KHTML, like Gecko) Version/8.0 Mobile/12B411 Safari/600.1.4 (compatible; YandexMobileBot/3.0; +http://yandex.com/bots)", crawler.KindCrawler},
	{"YandexImages", "Mozilla/5.0 (compatible; YandexImages/3.0; +http://yandex.com/bots)", crawler.KindCrawler},
	{"YandexMetrika", "Mozilla/5.0 (compatible; YandexMetrika/2.0; +http://yandex.com/bots yabs01)", crawler.KindCrawler},
	{"YandexRenderResourcesBot", "Mozilla/5.0 (compatible; YandexRenderResourcesBot/1.0; +http://yandex.com/bots)", crawler.KindCrawler},
	{"YandexFavicons", "Mozilla/5.0 (compatible; YandexFavicons/1.0)", crawler.KindCrawler},
	{"DuckDuckBot", "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)", crawler.KindCrawler},
	{"DuckDuckBot-Https", "Mozilla/5.0 (compatible; DuckDuckBot-Https/1.1; https://duckduckgo.com/duckduckbot)", crawler.KindCrawler},
	{"DuckAssistBot", "DuckAssistBot/1.2; (+http://duckduckgo.com/duckassistbot.html)", crawler.KindCrawler},
	{"Applebot", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)", crawler.KindCrawler},
	{"Applebot mobile", "Mozilla/5.0 (iPhone; CPU iPhone OS 8_1 like Mac OS X) AppleWebKit/600.1.4 (KHTML, like Gecko) Version/8.0 Mobile/12B410 Safari/600.1.4 (Applebot/0.1; +http://www.apple.com/go/applebot)", crawler.KindCrawler},
	{"Sogou web spider", "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)", crawler.KindCrawler},
	{"360Spider", "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/50.0.2661.102 Safari/537.36; 360Spider", crawler.KindCrawler},
	{"YisouSpider in a UC Browser string", "Mozilla/5.0 (Linux; U; Android 4.4.2; zh-CN; HUAWEI MT7-TL00 Build/HuaweiMT7-TL00) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/40.0.2214.89 UCBrowser/11.3.8.909 Mobile Safari/537.36 YisouSpider", crawler.KindCrawler},
	{"Yeti (Naver)", "Mozilla/5.0 (compatible; Yeti/1.1; +http://naver.me/spd)", crawler.KindCrawler},
	{"SeznamBot", "Mozilla/5.0 (compatible; SeznamBot/4.0; +https://o-seznam.cz/napoveda/vyhledavani/en/seznambot-crawler/)", crawler.KindCrawler},
	{"Yahoo! Slurp", "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)", crawler.KindCrawler},
	{"PetalBot", "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)", crawler.KindCrawler},
	{"coccocbot", "Mozilla/5.0 (compatible; coccocbot-web/1.0; +http://help.coccoc.com/searchengine)", crawler.KindCrawler},
	{"Qwantify", "Mozilla/5.0 (compatible; Qwantify/2.4w; +https://www.qwant.com/)/2.4w", crawler.KindCrawler},
	{"MojeekBot", "Mozilla/5.0 (compatible; MojeekBot/0.11; +https://www.mojeek.com/bot.html)", crawler.KindCrawler},
	{"Mail.RU_Bot", "Mozilla/5.0 (compatible; Linux x86_64; Mail.RU_Bot/2.0; +https://help.mail.ru/webmaster/indexing/robots)", crawler.KindCrawler},
	{"archive.org_bot", "Mozilla/5.0 (compatible; archive.org_bot +http://archive.org/details/archive.org_bot)", crawler.KindCrawler},

	// Link previews
	{"facebookexternalhit", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", crawler.KindCrawler},
	{"Facebot", "Facebot", crawler.KindCrawler},
	{"meta-externalagent", "meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)", crawler.KindCrawler},
	{"meta-externalfetcher", "meta-externalfetcher/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)", crawler.KindCrawler},
	{"Twitterbot", "Twitterbot/1.0", crawler.KindCrawler},
	{"LinkedInBot", "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", crawler.KindCrawler},
	{"Slackbot", "Slackbot 1.0 (+https://api.slack.com/robots)", crawler.KindCrawler},
	{"Slackbot-LinkExpanding", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", crawler.KindCrawler},
	{"Slack-ImgProxy", "Slack-ImgProxy (+https://api.slack.com/robots)", crawler.KindCrawler},
	{"Discordbot", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", crawler.KindCrawler},
	{"TelegramBot", "TelegramBot (like TwitterBot)", crawler.KindCrawler},
	{"WhatsApp Android", "WhatsApp/2.23.20.0 A", crawler.KindCrawler},
	{"WhatsApp iOS", "WhatsApp/2.24.1.76 i", crawler.KindCrawler},
	{"WhatsApp, version only", "WhatsApp/2.23", crawler.KindCrawler},
	{"Pinterestbot", "Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)", crawler.KindCrawler},
	{"redditbot", "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)", crawler.KindCrawler},
	{"SkypeUriPreview", "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com", crawler.KindCrawler},
	{"Snap URL Preview", "Mozilla/5.0 (compatible; Snap URL Preview Service; bot; snapchat; https://developers.snap.com/robots)", crawler.KindCrawler},
	{"Bluesky Cardyb", "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)", crawler.KindCrawler},
	{"Mastodon", "Mastodon/4.2.8 (http.rb/5.1.1; +https://mastodon.social/) Bot", crawler.KindCrawler},
	{"Embedly", "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)", crawler.KindCrawler},
	{"Iframely", "Iframely/1.3.1 (+https://iframely.com/docs/about) Atlassian", crawler.KindCrawler},
	{"vkShare", "Mozilla/5.0 (compatible; vkShare; +http://vk.com/dev/Share)", crawler.KindCrawler},

	// AI
	{"GPTBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", crawler.KindCrawler},
	{"ChatGPT-User", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot", crawler.KindCrawler},
	{"OAI-SearchBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; OAI-SearchBot/1.0; +https://openai.com/searchbot", crawler.KindCrawler},
	{"ClaudeBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)", crawler.KindCrawler},
	{"Claude-Web", "Mozilla/5.0 (compatible; Claude-Web/1.0; +https://www.anthropic.com)", crawler.KindCrawler},
	{"Claude-User", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Claude-User/1.0; +Claude-User@anthropic.com)", crawler.KindCrawler},
	{"anthropic-ai", "anthropic-ai", crawler.KindCrawler},
	{"PerplexityBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)", crawler.KindCrawler},
	{"Perplexity-User", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Perplexity-User/1.0; +https://perplexity.ai/perplexity-user)", crawler.KindCrawler},
	{"CCBot", "CCBot/2.0 (https://commoncrawl.org/faq/)", crawler.KindCrawler},
	{"Bytespider", "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)", crawler.KindCrawler},
	{"Amazonbot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Amazonbot/0.1; +https://developer.amazon.com/support/amazonbot) Chrome/119.0.6045.214 Safari/537.36", crawler.KindCrawler},
	{"cohere-ai", "cohere-ai", crawler.KindCrawler},
	{"Diffbot", "Mozilla/5.0 (X11; U; Linux i686; en-US; rv:1.9.1.2) Gecko/20090729 Firefox/3.5.2 (.NET CLR 3.5.30729; Diffbot/0.1; +http://www.diffbot.com)", crawler.KindCrawler},

	// SEO tools
	{"AhrefsBot", "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", crawler.KindCrawler},
	{"SemrushBot", "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", crawler.KindCrawler},
	{"MJ12bot", "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)", crawler.KindCrawler},
	{"DotBot", "Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot; help@moz.com)", crawler.KindCrawler},
	{"Screaming Frog", "Screaming Frog SEO Spider/19.4", crawler.KindCrawler},

	// Automation, audits, monitors and scrapers
	{"Lighthouse mobile", "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse", crawler.KindCrawler},
	{"Lighthouse desktop", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Chrome-Lighthouse", crawler.KindCrawler},
	{"HeadlessChrome Linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.85 Safari/537.36", crawler.KindCrawler},
	{"HeadlessChrome Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.28 Safari/537.36", crawler.KindCrawler},
	{"PhantomJS", "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1", crawler.KindCrawler},
	{"WebPageTest", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 PTST/231218.145106", crawler.KindCrawler},
	{"GTmetrix", "Mozilla/5.0 (X11; Linux x86_64; GTmetrix https://gtmetrix.com/) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36", crawler.KindCrawler},
	{"UptimeRobot", "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", crawler.KindCrawler},
	{"Pingdom", "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)", crawler.KindCrawler},
	{"Scrapy", "Scrapy/2.11.0 (+https://scrapy.org)", crawler.KindCrawler},
	{"colly", "colly - https://github.com/gocolly/colly", crawler.KindCrawler},
}

// textBrowserUAs are browsers used by people that run no JavaScript.
var textBrowserUAs = []uaCase{
	{"w3m", "w3m/0.5.3+git20230121", crawler.KindTextBrowser},
	{"Lynx", "Lynx/2.9.0dev.12 libwww-FM/2.14 SSL-MM/1.4.1 GNUTLS/3.7.9", crawler.KindTextBrowser},
	{"Links", "Links (2.28; Linux 6.1.0-13-amd64 x86_64; GNU C 12.2; text)", crawler.KindTextBrowser},
	{"ELinks", "ELinks/0.16.1.1 (textmode; Linux 6.1.0-13-amd64 x86_64; 80x24-2)", crawler.KindTextBrowser},
	{"Dillo", "Dillo/3.0.5", crawler.KindTextBrowser},
	{"Emacs eww", "URL/Emacs Emacs/29.1 (X11; x86_64-pc-linux-gnu)", crawler.KindTextBrowser},
}

// httpClientUAs are HTTP libraries and command-line clients, with their
// default User-Agent.
var httpClientUAs = []uaCase{
	{"empty", "", crawler.KindHTTPClient},
	{"blank", "  \t", crawler.KindHTTPClient},
	{"curl", "curl/8.5.0", crawler.KindHTTPClient},
	{"curl old", "curl/7.88.1", crawler.KindHTTPClient},
	{"Wget", "Wget/1.21.3", crawler.KindHTTPClient},
	{"python-requests", "python-requests/2.31.0", crawler.KindHTTPClient},
	{"python-urllib", "Python-urllib/3.11", crawler.KindHTTPClient},
	{"aiohttp", "Python/3.11 aiohttp/3.9.1", crawler.KindHTTPClient},
	{"httpx", "python-httpx/0.27.0", crawler.KindHTTPClient},
	{"Go-http-client/1.1", "Go-http-client/1.1", crawler.KindHTTPClient},
	{"Go-http-client/2.0", "Go-http-client/2.0", crawler.KindHTTPClient},
	{"okhttp", "okhttp/4.12.0", crawler.KindHTTPClient},
	{"Java", "Java/17.0.9", crawler.KindHTTPClient},
	{"Java HttpClient", "Java-http-client/21.0.1", crawler.KindHTTPClient},
	{"Apache HttpClient", "Apache-HttpClient/4.5.14 (Java/17.0.9)", crawler.KindHTTPClient},
	{"libwww-perl", "libwww-perl/6.72", crawler.KindHTTPClient},
	{"axios", "axios/1.6.2", crawler.KindHTTPClient},
	{"node-fetch", "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", crawler.KindHTTPClient},
	{"Node.js fetch", "node", crawler.KindHTTPClient},
	{"undici", "undici", crawler.KindHTTPClient},
	{"Deno", "Deno/1.40.2", crawler.KindHTTPClient},
	{"Bun", "Bun/1.0.25", crawler.KindHTTPClient},
	{"Guzzle", "GuzzleHttp/7", crawler.KindHTTPClient},
	{"Ruby Net::HTTP", "Ruby", crawler.KindHTTPClient},
	{"Faraday", "Faraday v2.7.10", crawler.KindHTTPClient},
	{"rest-client", "rest-client/2.1.0 (linux x86_64) ruby/3.2.2p53", crawler.KindHTTPClient},
	{"HTTPie", "HTTPie/3.2.2", crawler.KindHTTPClient},
	{"Postman", "PostmanRuntime/7.36.0", crawler.KindHTTPClient},
	{"PowerShell 7", "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.19045; en-US) PowerShell/7.4.0", crawler.KindHTTPClient},
	{"Windows PowerShell", "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.3803", crawler.KindHTTPClient},
	{"Dart", "Dart/3.2 (dart:io)", crawler.KindHTTPClient},
	{"Dalvik", "Dalvik/2.1.0 (Linux; U; Android 13; Pixel 7 Build/TQ3A.230901.001)", crawler.KindHTTPClient},
	{"WordPress", "WordPress/6.4.2; https://example.com", crawler.KindHTTPClient},
}

// browserUAs are browsers that run JavaScript, including in-app browsers
// and the phones and apps whose names come close to a pattern.
var browserUAs = []uaCase{
	// Desktop
	{"Chrome Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", crawler.KindBrowser},
	{"Chrome macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", crawler.KindBrowser},
	{"Chrome Linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", crawler.KindBrowser},
	{"ChromeOS", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", crawler.KindBrowser},
	{"Edge Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", crawler.KindBrowser},
	{"Firefox Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", crawler.KindBrowser},
	{"Firefox Linux", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", crawler.KindBrowser},
	{"Firefox ESR", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", crawler.KindBrowser},
	{"Firefox macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0", crawler.KindBrowser},
	{"Safari macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", crawler.KindBrowser},
	{"Opera", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0", crawler.KindBrowser},
	{"Vivaldi", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Vivaldi/7.0.3495.18", crawler.KindBrowser},
	{"Yandex Browser", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 YaBrowser/24.10.0.0 Safari/537.36", crawler.KindBrowser},
	{"Internet Explorer 11", "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko", crawler.KindBrowser},
	{"Discord desktop (Electron)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) discord/1.0.9030 Chrome/108.0.5359.215 Electron/22.3.26 Safari/537.36", crawler.KindBrowser},
	{"Slack desktop (Electron)", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.35.131 Chrome/116.0.5845.228 Electron/26.6.1 Safari/537.36 Sonic Slack_SSB/4.35.131", crawler.KindBrowser},

	// Mobile
	{"Chrome Android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", crawler.KindBrowser},
	{"Chrome iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", crawler.KindBrowser},
	{"Edge Android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0", crawler.KindBrowser},
	{"Edge iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/131.2903.68 Mobile/15E148 Safari/605.1.15", crawler.KindBrowser},
	{"Firefox Android", "Mozilla/5.0 (Android 15; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0", crawler.KindBrowser},
	{"Firefox iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15", crawler.KindBrowser},
	{"Safari iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", crawler.KindBrowser},
	{"Safari iPad", "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1", crawler.KindBrowser},
	{"Samsung Internet", "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", crawler.KindBrowser},
	{"Opera Android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36 OPR/86.0.0.0", crawler.KindBrowser},
	{"Opera Mini", "Opera/9.80 (Android; Opera Mini/36.2.2254/119.132; U; id) Presto/2.12.423 Version/12.16", crawler.KindBrowser},
	{"Yandex Browser Android", "Mozilla/5.0 (Linux; arm_64; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 YaBrowser/24.10.3.91.00 SA/3 Mobile Safari/537.36", crawler.KindBrowser},
	{"Yandex app", "Mozilla/5.0 (Linux; arm_64; Android 12; SM-A525F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.230 YaApp_Android/24.11.1 YaSearchBrowser/24.11.1 BroPP/1.0 SA/3 Mobile Safari/537.36", crawler.KindBrowser},
	{"Yandex app older Android build", "Mozilla/5.0 (Linux; Android 9; Redmi Note 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/80.0.3987.99 YandexSearch/9.75 Mobile Safari/537.36", crawler.KindBrowser},
	{"UC Browser", "Mozilla/5.0 (Linux; U; Android 10; en-US; RMX2185 Build/QP1A.190711.020) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.108 UCBrowser/13.4.0.1306 Mobile Safari/537.36", crawler.KindBrowser},
	{"Sogou Mobile Browser", "Mozilla/5.0 (Linux; Android 10; V1938T Build/QP1A.190711.020; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/68.0.3440.106 Mobile Safari/537.36 SogouMobileBrowser/5.28.12", crawler.KindBrowser},
	{"Huawei Browser", "Mozilla/5.0 (Linux; Android 10; HarmonyOS; ELS-AN00; HMSCore 6.11.0.302) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 HuaweiBrowser/14.0.2.311 Mobile Safari/537.36", crawler.KindBrowser},
	{"MIUI Browser", "Mozilla/5.0 (Linux; U; Android 13; en-gb; 2201117TG Build/TKQ1.221114.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/112.0.5615.136 Mobile Safari/537.36 XiaoMi/MiuiBrowser/14.4.0-g", crawler.KindBrowser},
	{"Amazon Silk", "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/130.4.1 like Chrome/130.0.6723.102 Safari/537.36", crawler.KindBrowser},
	{"DuckDuckGo Android", "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 DuckDuckGo/5", crawler.KindBrowser},
	{"DuckDuckGo iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 DuckDuckGo/7 Safari/605.1.15", crawler.KindBrowser},
	{"Android WebView", "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/121.0.6167.178 Mobile Safari/537.36", crawler.KindBrowser},
	{"Samsung smart TV", "Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) 76.0.3809.146/6.0 TV Safari/537.36", crawler.KindBrowser},

	// Phones whose model ends in "bot"
	{"CUBOT X30", "Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.230 Mobile Safari/537.36", crawler.KindBrowser},
	{"CUBOT KINGKONG 5 Pro", "Mozilla/5.0 (Linux; Android 11; CUBOT KINGKONG 5 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.193 Mobile Safari/537.36", crawler.KindBrowser},
	{"CUBOT P30 WebView", "Mozilla/5.0 (Linux; Android 9; CUBOT P30 Build/PPR1.180610.011) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/74.0.3729.136 Mobile Safari/537.36", crawler.KindBrowser},

	// In-app browsers
	{"Facebook iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/21B80 [FBAN/FBIOS;FBAV/442.0.0.40.111;FBBV/543405614;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/545206447]", crawler.KindBrowser},
	{"Facebook Android", "Mozilla/5.0 (Linux; Android 13; SM-S911B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/442.0.0.33.110;]", crawler.KindBrowser},
	{"Instagram iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 309.1.2.25.109 (iPhone14,5; iOS 17_1_2; en_US; en; scale=3.00; 1170x2532; 540395522)", crawler.KindBrowser},
	{"Instagram Android", "Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 Instagram 309.0.0.40.113 Android (33/13; 420dpi; 1080x2176; samsung; SM-G991B; o1s; exynos2100; en_US; 541635890)", crawler.KindBrowser},
	{"LinkedIn iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29.4780", crawler.KindBrowser},
	{"Twitter iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Twitter for iPhone/10.17", crawler.KindBrowser},
	{"Snapchat iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Snapchat/12.61.0.39 (like Safari/8616.2.9.10.7, panda)", crawler.KindBrowser},
	{"TikTok Android", "Mozilla/5.0 (Linux; Android 12; SM-A125F Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 trill_2023202030 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/trill app_version/32.2.3 ByteLocale/en ByteFullLocale/en Region/US BytedanceWebview/d8a21c6", crawler.KindBrowser},
	{"Google app iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/290.0.584479853 Mobile/15E148 Safari/604.1", crawler.KindBrowser},
	{"Pinterest iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [Pinterest/iOS]", crawler.KindBrowser},
	{"LINE iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/13.20.0", crawler.KindBrowser},
	{"WeChat iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.44(0x18002c2a) NetType/WIFI Language/zh_CN", crawler.KindBrowser},
	{"Telegram Android", "Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.210 Mobile Safari/537.36 Telegram-Android/10.5.0 (Samsung SM-G991B; Android 13; SDK 33; HIGH)", crawler.KindBrowser},
}
