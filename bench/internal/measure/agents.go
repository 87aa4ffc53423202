package measure

// GooglebotUA is the User-Agent of a search-engine crawler: the server's
// own detection serves it the in-order plain-HTML fallback.
const GooglebotUA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
