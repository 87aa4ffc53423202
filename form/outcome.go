package form

import "net/http"

// Outcome is how a post ended, as [WithOutcomes] reports it: a counter by
// outcome meters the posts a site sheds apart from those its store
// refused or its readers got wrong.
type Outcome string

// The outcomes of a post.
const (
	OutcomeDone        Outcome = "done"        // the action succeeded
	OutcomeReplayed    Outcome = "replayed"    // a retry of a submission that had succeeded: its answer again
	OutcomeRefused     Outcome = "refused"     // 4xx: a bad field, token, origin, size or type, or the action's own
	OutcomeBusy        Outcome = "busy"        // 503 at once: every place taken (WithMaxInFlight), or the replays full
	OutcomeUnavailable Outcome = "unavailable" // another 5xx of the action's own: its store away, say
	OutcomeFailed      Outcome = "failed"      // 500: the action failed or panicked
)

// outcomeOf is the outcome of a post refused with e, answered status.
func outcomeOf(e *Error, status int) Outcome {
	switch {
	case e == errBusy:
		return OutcomeBusy
	case status == http.StatusInternalServerError:
		return OutcomeFailed
	case status >= 500:
		return OutcomeUnavailable
	}
	return OutcomeRefused
}

// observe reports o to WithOutcomes's function, if any.
func (h *Handler) observe(o Outcome) {
	if h.outcome != nil {
		h.outcome(o)
	}
}
