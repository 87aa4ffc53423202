// Package desk is the demo site's moderation desk's logic: editors' watch
// rules read from their form ([Parse]) and compiled, every editor's at
// once, into a [Matcher] that tells, for one comment, which editors it
// reaches and the words it matched for each, to highlight ([Segments]).
//
//	m := desk.Compile(allRules)
//	for _, hit := range m.Match(desk.Comment{Text: c.Text, Section: "tech", Author: c.Reader}) {
//		// hit.Editor's desk gets the comment, hit.Spans marked
//	}
//
// # Matching
//
// A comment's text is cut into tokens, runs of letters and digits, each
// folded to lower case; a rule's word or phrase is cut the same way, and
// matches where its tokens come one after another in the text: "buy now"
// matches "BUY, now!" but not "buy it now", and "spa" does not match
// "spam". Each first token of every editor's phrases is one map key, so a
// comment costs a lookup per token, whatever the number of editors.
// See [store.Rules] for how an editor's rules combine.
package desk
