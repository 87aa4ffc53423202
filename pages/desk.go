package pages

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/form"
	"github.com/bigpipe-go/bigpipe/internal/desk"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pagelet"
)

// The moderation desk's bounds.
const (
	// deskShown is how many comments a desk shows (data-live-max too).
	deskShown = 100
	// deskScan is how many of each article's newest comments a desk
	// page looks at when it loads.
	deskScan = 50
	// actionsShown is how many actions the desk's actions pagelet shows.
	actionsShown = 20
	// newAccountAge is how young an account's comments count as a new
	// account's.
	newAccountAge = 24 * time.Hour
)

// WithEditors names the readers (by reader id: the account name in lower
// case) who are editors: they alone reach the moderation desk (/desk),
// set their rules and hide or pin comments.
func WithEditors(ids ...string) Option {
	return func(s *Site) {
		for _, id := range ids {
			s.editors = append(s.editors, strings.ToLower(id))
		}
		slices.Sort(s.editors)
		s.editors = slices.Compact(s.editors)
	}
}

// editorIDs returns the editors' reader ids, sorted.
func (s *Site) editorIDs() []string { return s.editors }

func (s *Site) isEditor(id string) bool {
	_, ok := slices.BinarySearch(s.editors, id)
	return id != "" && ok
}

// deskGate answers r and reports false unless its reader is an editor: a
// signed-out reader gets a page (401) that links to the sign-in page, a
// signed-in one who is not an editor a 403 page saying why.
func (s *Site) deskGate(w http.ResponseWriter, r *http.Request) bool {
	reader := pagelet.ReaderFrom(r.Context())
	switch {
	case reader.Anonymous():
		s.writePage(w, r, http.StatusUnauthorized, deskSignInPage(chrome{Now: s.now()}, s.cssURL(), signInURL("/desk")))
		return false
	case !s.isEditor(reader.ID):
		s.writePage(w, r, http.StatusForbidden, deskNotePage(chrome{Now: s.now()}, s.cssURL(), "Editors only", errNotEditor.Message))
		return false
	}
	return true
}

// Refusals of the desk's posts.
var (
	errDeskSignedOut = &form.Error{Status: http.StatusUnauthorized, Message: "You are signed out: sign in as an editor to use the moderation desk."}
	errNotEditor     = &form.Error{Status: http.StatusForbidden, Message: "The moderation desk is for the site's editors, and your account is not one of them."}
)

// editorCheck returns the refusal of a desk post by ctx's reader, or nil
// for an editor.
func (s *Site) editorCheck(ctx context.Context) error {
	reader := pagelet.ReaderFrom(ctx)
	switch {
	case reader.Anonymous():
		return errDeskSignedOut
	case !s.isEditor(reader.ID):
		return errNotEditor
	}
	return nil
}

// deskItem is one comment on an editor's desk.
type deskItem struct {
	Comment  store.Comment
	Title    string // its article's
	Words    []string
	Segments []desk.Segment
	State    store.CommentState
	Now      time.Time
}

// ArticleURL is where the comment is on its article.
func (it deskItem) ArticleURL() string {
	return "/article/" + it.Comment.Slug + "#comment-" + it.Comment.ID
}

// ActionURL is where a button of the item posts kind.
func (it deskItem) ActionURL(kind string) string {
	return "/desk/comments/" + it.Comment.ID + "/" + kind
}

// deskData is an editor's desk.
type deskData struct {
	List []deskItem
	Now  time.Time
}

// actionsData is the desk's latest actions.
type actionsData struct {
	List []store.Action
	Now  time.Time
}

func (s *Site) actions(ctx context.Context) (actionsData, error) {
	list, err := s.st.Actions(ctx, actionsShown)
	return actionsData{List: list, Now: s.now()}, err
}

// deskComment is what the matcher knows of c, on the article art.
func (s *Site) deskComment(ctx context.Context, c store.Comment, art store.Article) desk.Comment {
	dc := desk.Comment{Text: c.Text, Section: art.Section, Reader: c.Reader, Name: c.Name}
	if c.Reader != "" {
		if a, err := s.st.Account(ctx, c.Reader); err == nil && c.Posted.Sub(a.Created) < newAccountAge {
			dc.NewAccount = true
		}
	}
	return dc
}

func (s *Site) newDeskItem(c store.Comment, art store.Article, h desk.Hit, st store.CommentState) deskItem {
	return deskItem{Comment: c, Title: art.Title, Words: h.Words, Segments: desk.Segments(c.Text, h.Spans), State: st, Now: s.now()}
}

// deskItems is editor's desk as it loads: the newest comments, of the
// newest [deskScan] of every article, that their rules match.
func (s *Site) deskItems(ctx context.Context, editor string) (deskData, error) {
	rules, err := s.st.Rules(ctx, editor)
	if err != nil {
		return deskData{}, err
	}
	d := deskData{Now: s.now()}
	m := desk.Compile([]store.Rules{rules})
	if m.Editors() == 0 {
		return d, nil
	}
	for _, sec := range store.Sections() {
		arts, err := s.st.Section(ctx, sec, 0)
		if err != nil {
			return deskData{}, err
		}
		for _, art := range arts {
			cs, err := s.st.Comments(ctx, art.Slug, deskScan)
			if err != nil || len(cs) == 0 {
				if err != nil {
					return deskData{}, err
				}
				continue
			}
			states, err := s.st.CommentStates(ctx, art.Slug)
			if err != nil {
				return deskData{}, err
			}
			for _, c := range cs {
				if hits := m.Match(s.deskComment(ctx, c, art)); len(hits) > 0 {
					d.List = append(d.List, s.newDeskItem(c, art, hits[0], states[c.ID]))
				}
			}
		}
	}
	slices.SortFunc(d.List, func(a, b deskItem) int { return b.Comment.Posted.Compare(a.Comment.Posted) })
	if len(d.List) > deskShown {
		d.List = d.List[:deskShown]
	}
	return d, nil
}

// deskBox is what the desk's layout holds beside its pagelets: the one
// form every item's buttons submit (form="desk-actions"), with this
// browser's CSRF token, which a publication, rendered once for every tab
// of an editor, cannot carry.
type deskBox struct {
	Fields form.Fields
	Editor string
}

// Desk is "GET /desk": the editor's moderation desk, a personal stream
// of the comments their rules match, live on their [DeskFeed] channel,
// and the latest actions, live on their [DeskActionsFeed] channel.
// Anyone but an editor gets a 401 or 403 page ([Site.deskGate]).
func (s *Site) Desk(w http.ResponseWriter, r *http.Request) (*pagelet.Page, error) {
	if !s.deskGate(w, r) {
		return nil, nil
	}
	editor := pagelet.ReaderFrom(r.Context()).ID
	items := s.pagelet("desk", "Your desk", 100, skelComments(),
		pagelet.Fetch(func(ctx context.Context) (deskData, error) { return s.deskItems(ctx, pagelet.ReaderFrom(ctx).ID) }, deskView))
	acts := s.pagelet("deskactions", "Latest actions", 90, skelStories(3),
		pagelet.Fetch(func(ctx context.Context) (actionsData, error) { return s.actions(ctx) }, actionsView))
	items.Personal, acts.Personal = true, true
	if s.feeds != nil {
		items = s.feeds.desk.items.Pagelet(s.feeds.desk.items.ReaderChannel(editor), items)
		acts = s.feeds.desk.actions.Pagelet(s.feeds.desk.actions.ReaderChannel(editor), acts)
	}
	box := deskBox{Fields: s.deskAct.Fields(w, r), Editor: readerName(r.Context())}
	c := chrome{Now: s.now()}
	return &pagelet.Page{
		Title:    "Moderation desk — " + siteName,
		Lang:     "en",
		Head:     templ.Join(headMeta("The moderation desk of "+siteName+".", true), canonicalLink(s.absURL(r, "/desk"))),
		CSS:      []string{SiteCSS},
		Layout:   func(slot pagelet.Slot) templ.Component { return deskLayout(c, box, slot) },
		Pagelets: []pagelet.Pagelet{items, acts},
	}, nil
}

// rulesForm is the rules form: the editor's rules, or what was posted and
// what was wrong with it.
type rulesForm struct {
	Fields  form.Fields
	Rules   store.Rules
	Words   string // as posted, after a refusal
	Authors string
	Errors  form.Errors
	Alert   string
	Saved   bool
}

// HasSection reports whether the form has sec checked.
func (f rulesForm) HasSection(sec string) bool { return slices.Contains(f.Rules.Sections, sec) }

// Error is the message of field's error, or "".
func (f rulesForm) Error(field string) string {
	for _, e := range f.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// Rules is "GET /desk/rules": the editor's rules form.
func (s *Site) Rules(w http.ResponseWriter, r *http.Request) {
	if !s.deskGate(w, r) {
		return
	}
	rules, err := s.st.Rules(r.Context(), pagelet.ReaderFrom(r.Context()).ID)
	if err != nil {
		s.logger().Warn("pages: rules not read", "err", err)
		s.messagePage(w, r, http.StatusInternalServerError, "Rules unavailable", "Your rules could not be read. Try again in a moment.")
		return
	}
	f := rulesForm{Fields: s.deskRules.Fields(w, r), Rules: rules, Words: strings.Join(rules.Words, "\n"),
		Authors: strings.Join(rules.Authors, ", "), Saved: r.URL.Query().Get("saved") == "1"}
	s.writePage(w, r, http.StatusOK, rulesPage(chrome{Now: s.now()}, s.cssURL(), f))
}

// PostRules handles "POST /desk/rules": the editor's rules, checked
// ([desk.Parse]: 422 with the form and its errors), stored, and the
// matcher of every instance recompiled from them at its next comment.
func (s *Site) PostRules(w http.ResponseWriter, r *http.Request) { s.deskRules.ServeHTTP(w, r) }

func (s *Site) saveRules(ctx context.Context, sub *form.Submission) (form.Result, error) {
	if err := s.editorCheck(ctx); err != nil {
		return form.Result{}, err
	}
	v := sub.Values
	rules, probs := desk.Parse(pagelet.ReaderFrom(ctx).ID, desk.Form{Words: v.Get("words"), Sections: v["sections"], Authors: v.Get("authors"),
		NewAccounts: v.Get("new_accounts") != "", Links: v.Get("links") != ""})
	if probs != nil {
		var errs form.Errors
		for _, p := range probs {
			errs = append(errs, form.FieldError{Field: p.Field, Message: p.Message})
		}
		return form.Result{}, errs
	}
	rules.Updated = s.now()
	if err := s.st.SaveRules(ctx, rules); err != nil {
		return form.Result{}, err
	}
	s.match.forget()
	return form.Result{Redirect: "/desk/rules?saved=1", Message: "Saved."}, nil
}

// rulesRefused is the rules form again, with what was posted and why it
// was refused (or the reason alone).
func (s *Site) rulesRefused(r *http.Request, f *form.Failure) templ.Component {
	if f.Status == http.StatusUnauthorized || f.Status == http.StatusForbidden || f.Values == nil {
		return deskNotePage(chrome{Now: s.now()}, s.cssURL(), "Rules not saved", f.Message)
	}
	rf := rulesForm{Fields: f.Form, Words: f.Values.Get("words"), Authors: f.Values.Get("authors"), Errors: f.Fields, Alert: f.Message,
		Rules: store.Rules{Sections: f.Values["sections"], NewAccounts: f.Values.Get("new_accounts") != "", Links: f.Values.Get("links") != ""}}
	return rulesPage(chrome{Now: s.now()}, s.cssURL(), rf)
}

// DeskAction handles "POST /desk/comments/{id}/{action}", action one of
// hide, unhide, pin and unpin, with the field slug (the comment's
// article) and the desk's CSRF token: editors only (401, 403). The
// action is recorded, the comment's state stored (a hidden comment is on
// no page; a pinned one first), and shown live: removed from or replaced
// on every open page of the article, on every editor's desk it is on, in
// the actions pagelet. A plain post is sent back to the desk (303).
func (s *Site) DeskAction(w http.ResponseWriter, r *http.Request) { s.deskAct.ServeHTTP(w, r) }

func (s *Site) deskAction(ctx context.Context, sub *form.Submission) (form.Result, error) {
	if err := s.editorCheck(ctx); err != nil {
		return form.Result{}, err
	}
	kind, id, slug := sub.Request.PathValue("action"), sub.Request.PathValue("id"), sub.Values.Get("slug")
	if kind != store.ActionHide && kind != store.ActionUnhide && kind != store.ActionPin && kind != store.ActionUnpin {
		return form.Result{}, &form.Error{Status: http.StatusNotFound, Message: "There is no such action: hide, unhide, pin or unpin."}
	}
	if !ValidSlug(slug) || !validCommentID(id) {
		return form.Result{}, &form.Error{Status: http.StatusNotFound, Message: "There is no such comment."}
	}
	c, err := s.st.Comment(ctx, slug, id)
	if errors.Is(err, store.ErrNotFound) {
		return form.Result{}, &form.Error{Status: http.StatusNotFound, Message: "There is no such comment (it may have been removed)."}
	}
	if err != nil {
		return form.Result{}, err
	}
	states, err := s.st.CommentStates(ctx, slug)
	if err != nil {
		return form.Result{}, err
	}
	st := states[id]
	switch kind {
	case store.ActionHide:
		st.Hidden = true
	case store.ActionUnhide:
		st.Hidden = false
	case store.ActionPin:
		st.Pinned = true
	case store.ActionUnpin:
		st.Pinned = false
	}
	if err := s.st.SetCommentState(ctx, slug, id, st); err != nil {
		return form.Result{}, err
	}
	me := s.me(ctx)
	if _, err := s.st.AddAction(ctx, store.Action{Editor: me.ID, EditorName: cmp.Or(readerName(ctx), me.Name), Kind: kind,
		Slug: slug, CommentID: id, At: s.now()}); err != nil {
		return form.Result{}, err
	}
	// The publication (a remove, or a replace) expires the article's cached
	// comments; without it, expire them here.
	if !s.publish(ctx, "comment "+kind, func(ctx context.Context) error { return s.publishCommentState(ctx, c, st) }) {
		s.expire(ctx, commentsTag(slug))
	}
	s.toDesks(ctx, c, st)
	s.publish(ctx, "desk actions", s.publishActions)
	return form.Result{Redirect: "/desk#desk-" + id, Message: "Done: " + kind + "."}, nil
}

// toDesks puts c, in state st, on the desk of every editor whose rules
// it matches (replacing the item there).
func (s *Site) toDesks(ctx context.Context, c store.Comment, st store.CommentState) {
	if s.feeds == nil || len(s.editors) == 0 {
		return
	}
	art, err := s.st.Headline(ctx, c.Slug)
	if err != nil {
		s.logger().Warn("pages: comment not matched for the desk", "id", c.ID, "err", err)
		return
	}
	m, err := s.deskMatcher(ctx)
	if err != nil {
		s.logger().Warn("pages: comment not matched for the desk", "id", c.ID, "err", err)
		return
	}
	t0 := time.Now()
	hits := m.Match(s.deskComment(ctx, c, art))
	s.deskMetrics.observe(time.Since(t0), len(hits))
	for _, h := range hits {
		it := s.newDeskItem(c, art, h, st)
		s.publish(ctx, "desk item", func(ctx context.Context) error { return s.publishDeskItem(ctx, h.Editor, it) })
	}
}

// matcherCache is the desk's matcher, compiled from every editor's
// rules at the version the store had then: a comment reads the version
// (one small read), and recompiles when another instance, or this one,
// saved rules since.
type matcherCache struct {
	mu      sync.Mutex
	m       *desk.Matcher
	version uint64
	ok      bool
}

func (c *matcherCache) forget() {
	c.mu.Lock()
	c.ok = false
	c.mu.Unlock()
}

// deskMatcher returns the matcher of the editors' rules as the store has
// them now. Rules of readers who are not editors (any more) are left out.
func (s *Site) deskMatcher(ctx context.Context) (*desk.Matcher, error) {
	v, err := s.st.RulesVersion(ctx)
	if err != nil {
		return nil, err
	}
	c := &s.match
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok && c.version == v {
		return c.m, nil
	}
	all, err := s.st.AllRules(ctx)
	if err != nil {
		return nil, fmt.Errorf("pages: rules to match: %w", err)
	}
	all = slices.DeleteFunc(all, func(r store.Rules) bool { return !s.isEditor(r.Editor) })
	c.m, c.version, c.ok = desk.Compile(all), v, true
	return c.m, nil
}

// newDeskHandlers makes the desk's forms' handlers.
func (s *Site) newDeskHandlers() {
	page := form.WithErrorPage(func(r *http.Request, f *form.Failure) templ.Component {
		return deskNotePage(chrome{Now: s.now()}, s.cssURL(), "Not done", f.Message)
	})
	s.deskAct = form.New(s.deskAction, form.WithToken(ClientCookie, s.secret), page, form.WithLogger(s.logger()))
	s.deskRules = form.New(s.saveRules, form.WithToken(ClientCookie, s.secret), form.WithMaxBytes(4*desk.MaxField),
		form.WithErrorPage(s.rulesRefused), form.WithLogger(s.logger()))
}
