// Package form answers the posts of an HTML form the way a site with and
// without JavaScript both need: one [http.Handler] per action that checks
// where the post came from, reads it within limits, runs the site's
// [Action] once per submission, and answers a script with JSON and a plain
// browser with a redirect or the form shown again.
//
//	h := form.New(func(ctx context.Context, s *form.Submission) (form.Result, error) {
//		if s.Values.Get("text") == "" {
//			return form.Result{}, form.Errors{{Field: "text", Message: "Say something."}}
//		}
//		return form.Result{Redirect: "/thanks"}, nil
//	}, form.WithToken("client", secret))
//	mux.Handle("POST /notes", h)
//	// and in the page that shows the form (before its first byte is sent):
//	fields := h.Fields(w, r) // render it inside the <form>: @fields in templ
//
// # What a post goes through
//
//  1. Method POST (else 405) and, unless turned off, Go's
//     [http.CrossOriginProtection] (403 for a cross-site browser post).
//  2. Content type application/x-www-form-urlencoded (else 415), a body of
//     at most [DefaultMaxBytes] (else 413), valid UTF-8 (else 400).
//  3. With [WithToken], the form's [TokenField] must be the HMAC of the
//     browser's cookie (else 403): a CSRF token for browsers that send
//     neither Sec-Fetch-Site nor Origin.
//  4. The submission id, [IDField], made when the form was rendered
//     ([Handler.Fields]) and kept by the client across retries: a replay
//     of a submission that succeeded gets the first answer again
//     (with the header Idempotent-Replayed: true) without running the
//     action; a duplicate posted while the first still runs waits for it.
//     Only successes are remembered, so a corrected form posts again under
//     the same id. See [Replays].
//  5. With [WithMaxInFlight], a place among the posts running at once
//     (else 503 with Retry-After, the text kept): a burst beyond what the
//     store can take is refused at once instead of queueing.
//  6. The [Action]: it returns a [Result], or [Errors] (field errors, 422),
//     an [*Error] (any other refusal, with its status) or any other error
//     (500, logged; the message to the user says nothing of it). A panic
//     in the action is recovered into a 500.
//
// [WithOutcomes] hears how each answered post ended ([Outcome]): done,
// replayed, refused, busy (shed by step 5), unavailable or failed, for a
// metric.
//
// # Answers
//
// A client that asks for JSON (Accept: application/json, as the enhancer
// does) gets {"ok":true,"message":…,"data":…,"redirect":…} or
// {"ok":false,"error":…,"fields":{"name":"message"}}. A plain browser post
// gets 303 See Other to [Result.Redirect] on success (Post/Redirect/Get),
// and on failure the page [WithErrorPage] renders with the [Failure]: the
// form again, with the user's values and the errors next to their fields,
// under the failure's status (422 for field errors). Re-showing the form in
// the answer to the POST, as Rails and Phoenix do, keeps the user's text
// out of URLs, logs and sessions, which a redirect back would need to
// carry it.
//
// # The client enhancer
//
// A form marked data-bigpipe-form is posted with fetch by the renderer's
// form script (render.FormScript, listed in the page's or pagelet's JS):
// it keeps the submission id across retries, shows field errors next to
// their fields (aria-invalid, aria-describedby) and the summary in a
// role=alert element, keeps the text on failure, and on success resets the
// form (fields marked data-bigpipe-keep keep their value), gives it a new
// submission id and dispatches the event "bigpipe:form-success" on the
// form, or follows [Result.Follow]'s redirect. See docs/forms.md.
package form
